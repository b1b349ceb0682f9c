#!/usr/bin/env node
// Compiles src/ to JavaScript in dist/ (run by `npm install` and `npm run build`), so that
// bin/ripcord.js starts without compiling the tree on every command.
//
// esbuild, not tsc: it transpiles the ~300 files in under a second where `tsc` takes about 30 s
// on two cores, and type checking stays where it is (`npm run typecheck`). File by file, never
// bundled: dist/ mirrors src/ so that each command loads only the modules it needs, and paths
// the code resolves from its own directory (../../temporal-config, ../../policies) still land
// in the project. tsconfig's isolatedModules keeps per-file compilation faithful to tsc.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { buildSync } = require('esbuild');
const { DIST_DIR, SRC_DIR, STAMP_FILE, ROOT, newestMtimeMs } = require('./build-stamp');

function filesUnder(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(file) : [file];
  });
}

function build() {
  const started = Date.now();
  // Taken before reading any source: a file saved while this runs is newer than the stamp,
  // so the next command runs the sources instead of a build that may have missed it.
  const sourcesMtimeMs = newestMtimeMs(SRC_DIR);
  // The stamp goes first and comes back last: a command started meanwhile runs the sources.
  fs.rmSync(DIST_DIR, { recursive: true, force: true });
  const files = filesUnder(SRC_DIR);
  const sources = files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));
  buildSync({
    entryPoints: sources,
    outdir: DIST_DIR,
    outbase: SRC_DIR,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    tsconfig: path.join(ROOT, 'tsconfig.json'),
    // import() becomes require() inside a promise, as tsc emits it for `module: commonjs` (and as tsx and
    // the tests run it): Node's own import() would resolve '../commands/x' as ESM, without extensions.
    supported: { 'dynamic-import': false },
    logLevel: 'warning',
  });
  // Anything else under src/ (JSON scenarios, templates) sits beside the code that reads it.
  const assets = files.filter((file) => !file.endsWith('.ts'));
  for (const asset of assets) {
    const target = path.join(DIST_DIR, path.relative(SRC_DIR, asset));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(asset, target);
  }
  fs.writeFileSync(STAMP_FILE, `${JSON.stringify({ sourcesMtimeMs, builtAt: new Date().toISOString() })}\n`);
  const ms = Date.now() - started;
  process.stdout.write(
    `ripcord: compiled ${sources.length} sources and ${assets.length} assets to dist/ in ${ms} ms\n`,
  );
}

try {
  build();
} catch (err) {
  // One clear line, as the tools bootstrap does; bin/ripcord.js still runs the sources without dist/.
  const message = err && err.message ? err.message.split('\n')[0] : String(err);
  process.stderr.write(`ripcord: cannot compile src/ to dist/: ${message}\n`);
  process.exit(1);
}
