#!/usr/bin/env node
// Entry point of the `ripcord` command. The sources are TypeScript; tsx compiles
// them on the fly so that `npx ripcord` works right after `npm install`, with no
// build step that could leave a stale copy behind.
'use strict';
require('tsx/cjs');
// `ripcord ... | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (err) => {
  if (err && err.code === 'EPIPE') process.exit(0);
  throw err;
});
require('../src/cli/main.ts')
  .main(process.argv)
  .then((code) => {
    process.exitCode = typeof code === 'number' ? code : 0;
    // The command is done. Handles that outlive it (the Temporal SDK's runtime, once a worker or
    // client was set up) must not keep the process alive after a usage error: exit once both
    // streams have flushed what was written to them.
    process.stdout.write('', () => process.stderr.write('', () => process.exit()));
  });
