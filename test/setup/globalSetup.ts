import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevServer } from '../../src/temporal/devServer';
import { freePort } from '../../src/temporal/freePort';
import { temporalTestServerPath } from '../../src/temporal/binaries';

// One Temporal dev server for the whole run (starting one per file is slow on 2 cores and
// createLocal's 5 s start limit is too tight here). Tests reach it through TEMPORAL_TEST_ADDRESS.
export default async function globalSetup(): Promise<void> {
  // Fail at once, with the fix, if a binary is missing: tests never download.
  temporalTestServerPath();
  const port = await freePort();
  const logFile = path.join(os.tmpdir(), `shepherd-test-temporal-${port}.log`);
  const server = await startDevServer({
    port,
    logFile,
    extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=200'],
  });
  process.env.TEMPORAL_TEST_ADDRESS = server.address;
  (globalThis as Record<string, unknown>).__SHEPHERD_TEMPORAL__ = server;
  fs.writeFileSync(path.join(os.tmpdir(), 'shepherd-test-temporal.addr'), server.address);
}
