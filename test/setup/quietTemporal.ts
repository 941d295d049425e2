import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';

// Keep test output readable: only warnings and errors from the SDK and its core.
Runtime.install({
  logger: new DefaultLogger('WARN'),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }), forward: {} } },
});
