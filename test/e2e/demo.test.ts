import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../src/temporal/freePort';

// `npm run demo` is the newcomer's first look: it must really end with its merge requests merged
// or explained. Run as a separate process, as a person would, on free ports.

test('the demo merges its merge requests or explains why not, then exits 0 with --once', async () => {
  const [temporal, ui, api] = [await freePort(), await freePort(), await freePort()];
  const root = path.join(__dirname, '..', '..');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [require.resolve('tsx/cli'), 'scripts/demo.ts', '--once', '--temporal-port', String(temporal), '--temporal-ui-port', String(ui), '--api-port', String(api)],
    { cwd: root, timeout: 170_000 },
  );
  expect(stdout).toContain('every demo merge request reached a final state');
  expect(stdout).toMatch(/!1 .*: merged/);
  expect(stdout).toMatch(/conflict comment/);
  expect(stdout).toMatch(/CI failure comment/);
}, 180_000);
