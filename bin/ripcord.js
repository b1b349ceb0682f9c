#!/usr/bin/env node
// Entry point of the `ripcord` command. The sources are TypeScript; `npm install` compiles them
// once to dist/ (scripts/build.js), and this runs dist/ when it was built from the sources as
// they are now.
//
// When any file under src/ is newer than the build (edited, added or moved after `npm install`),
// it runs the sources through tsx instead, as it always did: slower (about 2 s), never stale.
// It does not rebuild on its own: other ripcord processes (a worker, a test's CLIs) may be
// loading modules from dist/ at that moment, and a command that only reads should not write
// into the checkout. `npm run build` makes the fast path current again (scripts/build-stamp.js
// says what "newer" means).
'use strict';
const { distIsCurrent } = require('../scripts/build-stamp');

const fromDist = distIsCurrent();
if (!fromDist) require('tsx/cjs');
// `ripcord ... | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (err) => {
  if (err && err.code === 'EPIPE') process.exit(0);
  throw err;
});
require(fromDist ? '../dist/cli/main.js' : '../src/cli/main.ts')
  .main(process.argv)
  .then((code) => {
    process.exitCode = typeof code === 'number' ? code : 0;
    // The command is done. Handles that outlive it (the Temporal SDK's runtime, once a worker or
    // client was set up) must not keep the process alive after a usage error: exit once both
    // streams have flushed what was written to them.
    process.stdout.write('', () => process.stderr.write('', () => process.exit()));
  });
