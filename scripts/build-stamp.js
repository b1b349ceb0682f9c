// Whether dist/ was built from src/ as it is now. Shared by scripts/build.js, which writes the
// stamp, and bin/ripcord.js, which reads it before every command: so it stays cheap (a few
// milliseconds of stat calls, no hashing) and requires nothing outside Node.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const SRC_DIR = path.join(ROOT, 'src');
const DIST_DIR = path.join(ROOT, 'dist');
const STAMP_FILE = path.join(DIST_DIR, '.build-stamp.json');

/**
 * The newest modification time under `dir`, of files and of directories alike: an edited file
 * changes its own time, and a file added, removed or renamed changes its directory's time
 * (even when it keeps an old time of its own, as a copy with `cp -p` or a `git mv` does).
 */
function newestMtimeMs(dir) {
  let newest = fs.statSync(dir).mtimeMs;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const child = path.join(dir, entry.name);
    const time = entry.isDirectory() ? newestMtimeMs(child) : fs.statSync(child).mtimeMs;
    if (time > newest) newest = time;
  }
  return newest;
}

/** True when dist/ holds a finished build of the current sources; any doubt (no stamp, a race) is false. */
function distIsCurrent() {
  try {
    const stamp = JSON.parse(fs.readFileSync(STAMP_FILE, 'utf8'));
    return typeof stamp.sourcesMtimeMs === 'number' && newestMtimeMs(SRC_DIR) <= stamp.sourcesMtimeMs;
  } catch {
    return false;
  }
}

module.exports = { ROOT, SRC_DIR, DIST_DIR, STAMP_FILE, newestMtimeMs, distIsCurrent };
