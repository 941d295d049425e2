#!/usr/bin/env node
// The `shepherd` command: runs the TypeScript sources through tsx (no build step needed).
'use strict';
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const tsx = require.resolve('tsx/cli');
const r = spawnSync(process.execPath, [tsx, path.join(__dirname, '..', 'src', 'cli.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
