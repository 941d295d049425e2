'use strict';
// Where the Temporal binaries are, in the order users expect: explicit environment variables,
// then a `temporal` on PATH, then the project's own .tools/pybin (filled by setup-temporal.js).
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const PYBIN_DIR = path.join(ROOT, '.tools', 'pybin');

function isExecutable(p) {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function onPath(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function pick(envName, binName) {
  const fromEnv = process.env[envName];
  if (fromEnv) {
    const abs = path.resolve(fromEnv);
    if (isExecutable(abs)) return { path: abs, source: `$${envName}` };
  }
  const fromPath = onPath(binName);
  if (fromPath) return { path: path.resolve(fromPath), source: 'PATH' };
  const local = path.join(PYBIN_DIR, 'bin', binName);
  if (isExecutable(local)) return { path: local, source: '.tools/pybin' };
  return { path: undefined, source: undefined };
}

/** @returns {{cli?: string, cliSource?: string, testServer?: string, testServerSource?: string}} */
function locateTemporalBinaries() {
  const cli = pick('TEMPORAL_CLI_PATH', 'temporal');
  const ts = pick('TEMPORAL_TEST_SERVER_PATH', 'temporal-test-server');
  return { cli: cli.path, cliSource: cli.source, testServer: ts.path, testServerSource: ts.source };
}

const HOW_TO_INSTALL =
  'Run `npm install` (its postinstall runs scripts/setup-temporal.js), or `node scripts/setup-temporal.js`, ' +
  'or set TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH to existing executables.';

module.exports = { locateTemporalBinaries, PYBIN_DIR, HOW_TO_INSTALL };
