// Preloaded into a child process (NODE_OPTIONS=--require <this file>): when the process exits,
// writes the path of every CommonJS module it loaded, one per line, to $RIPCORD_LOADED_MODULES_FILE.
// The CLI's code, compiled or run through tsx, and the Temporal SDK are all CommonJS.
// Plain JavaScript, so that the child needs no compiler to load it.
'use strict';
const { writeFileSync } = require('node:fs');

const file = process.env.RIPCORD_LOADED_MODULES_FILE;
if (file) process.on('exit', () => writeFileSync(file, Object.keys(require.cache).join('\n')));
