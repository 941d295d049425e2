import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { locateTemporalBinaries } = require('../../../scripts/temporal-binaries.js') as {
  locateTemporalBinaries(): { cli?: string; cliSource?: string; testServer?: string; testServerSource?: string };
};

// Which Temporal binaries Shepherd uses: explicit variables first, then PATH, then the project's
// own install, the order users of other tools expect.

const saved = { ...process.env };
let dir: string;

function executable(name: string): string {
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, '#!/bin/sh\n', { mode: 0o755 });
  return p;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shepherd-bin-'));
});
afterEach(() => {
  process.env = { ...saved };
  fs.rmSync(dir, { recursive: true, force: true });
});

test('TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH win over PATH', () => {
  const cli = executable('explicit/temporal');
  const ts = executable('explicit/temporal-test-server');
  executable('onpath/temporal');
  process.env.PATH = `${path.join(dir, 'onpath')}${path.delimiter}${saved.PATH ?? ''}`;
  process.env.TEMPORAL_CLI_PATH = cli;
  process.env.TEMPORAL_TEST_SERVER_PATH = ts;
  expect(locateTemporalBinaries()).toMatchObject({ cli, cliSource: '$TEMPORAL_CLI_PATH', testServer: ts });
});

test('a temporal on PATH wins over the project-local install', () => {
  const onPath = executable('onpath/temporal');
  delete process.env.TEMPORAL_CLI_PATH;
  process.env.PATH = `${path.join(dir, 'onpath')}${path.delimiter}${saved.PATH ?? ''}`;
  expect(locateTemporalBinaries()).toMatchObject({ cli: onPath, cliSource: 'PATH' });
});

test('a variable pointing at nothing is not trusted', () => {
  process.env.TEMPORAL_CLI_PATH = path.join(dir, 'missing');
  process.env.PATH = '';
  const found = locateTemporalBinaries();
  expect(found.cli).not.toBe(path.join(dir, 'missing'));
});
