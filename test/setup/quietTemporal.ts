import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';

// Keep test output readable: only warnings and errors from the SDK and its core.
Runtime.install({
  logger: new DefaultLogger('WARN'),
  // Core logs straight to the console (forwarding keeps a native handle open after the tests).
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }), console: {} } },
});
