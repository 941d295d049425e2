import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { temporalTestServerPath } from '../../src/temporal/binaries';
import { registerSearchAttributes } from '../../src/temporal/searchAttributes';

/** Address of the dev server that globalSetup started for this run. */
export function devServerAddress(): string {
  const fromEnv = process.env.TEMPORAL_TEST_ADDRESS;
  if (fromEnv) return fromEnv;
  return fs.readFileSync(path.join(os.tmpdir(), 'shepherd-test-temporal.addr'), 'utf8').trim();
}

export function devServerEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createFromExistingServer({ address: devServerAddress() });
}

/** The time-skipping server, from the binary the project installed: never downloaded. */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
  });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Workflow code bundled once per test file (bundling takes seconds on two cores). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows/index'),
    logger: new DefaultLogger('WARN'),
  });
  return bundle;
}

let n = 0;
export function uniqueTaskQueue(name: string): string {
  n++;
  return `${name}-${process.pid}-${n}-${Date.now().toString(36)}`;
}
