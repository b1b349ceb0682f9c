#!/usr/bin/env node
// Run by `npm install` (postinstall) and `npm run tools`: installs the pinned
// Temporal binaries into .tools/venv. One clear line on failure, never a stack trace.
'use strict';
require('tsx/cjs');
const { installTools } = require('../src/dev/install-tools.ts');
try {
  installTools();
} catch (err) {
  const message = err && err.message ? err.message : String(err);
  process.stderr.write(`ripcord: ${message}\n`);
  process.exit(1);
}
