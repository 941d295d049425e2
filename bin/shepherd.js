#!/usr/bin/env node
// The `shepherd` command. Runs the TypeScript sources in this process through tsx's require hook
// (no build step, and no wrapper process that could swallow Ctrl-C or a container's SIGTERM).
'use strict';
require('tsx/cjs');
const { main } = require('../src/cli.ts');

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`shepherd: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
