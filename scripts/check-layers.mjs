#!/usr/bin/env node
// The folders of src/ form layers: each may import only folders below it (docs/architecture.md).
// This check resolves every relative import (type imports too: a type import is still a dependency
// a reader must follow) and fails on one that points up or sideways into a folder not below.
// `npm run check:layers` prints the folder graph; `npm run lint` runs the check.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bottom first. A folder may import the folders listed before it, never one after it. */
export const LAYERS = [
  'text', // words, numbers, tables, durations, HTML escaping: imports nothing
  'decision', // the pure statistics core: imports nothing
  'policy', // the policy contract (schema, loader, explain): decision and text only
  'model', // plain data shared by all: deployment, guardian status, plan, audit record, activity contract
  'security', // tokens, identities, audit signing
  'tracing', // OpenTelemetry from OTEL_*: the SDK (loaded only when on), W3C trace context for outbound calls
  'simulate', // the decision core run over scenario files
  'releases', // several deployments judged together: release scenarios and the pure release judge
  'sources', // health reads (Prometheus, probes, replayed scenarios)
  'targets', // production changes (nginx, releases, Unleash, migrations, webhooks)
  'workflows', // deterministic guardian and lock workflows, their messages
  'client', // starting, finding, following guardians from outside Temporal
  'activities', // the workflow's side effects, over sources, targets and security
  'worker', // the composition root: builds activities' dependencies and runs the worker
  'report', // postmortem text and HTML from a guardian's history
  'suggest', // thresholds learned from Prometheus history
  'backtest', // past deployments and incidents: a policy replayed on recorded readings, scenarios recorded from Prometheus
  'rehearsal', // a scenario standing in for a policy's sources
  'dev', // the embedded local stack and the demo
  'cli', // the ripcord command
];

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function resolveImport(file, spec) {
  const base = resolve(dirname(file), spec);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base])
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  return undefined;
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)(['"])(\.{1,2}\/[^'"]*)\1/gm;

/** Every import from one src folder into another: { from, to, file, spec }. */
export function folderImports(srcRoot = root) {
  const edges = [];
  for (const file of sourceFiles(srcRoot)) {
    const from = relative(srcRoot, file).split(sep)[0];
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = resolveImport(file, match[2]);
      if (!target || !target.startsWith(srcRoot + sep)) continue;
      const to = relative(srcRoot, target).split(sep)[0];
      if (to !== from) edges.push({ from, to, file: relative(srcRoot, file), spec: match[2] });
    }
  }
  return edges;
}

/** The imports that break the layering, and folders that are in no layer. */
export function layerViolations(edges, layers = LAYERS) {
  const rank = new Map(layers.map((name, i) => [name, i]));
  const problems = [];
  for (const edge of edges) {
    for (const folder of [edge.from, edge.to])
      if (!rank.has(folder))
        problems.push(`src/${folder} is in no layer: add it to LAYERS in scripts/check-layers.mjs`);
    if (rank.has(edge.from) && rank.has(edge.to) && rank.get(edge.to) > rank.get(edge.from))
      problems.push(
        `src/${edge.file} imports ${edge.spec}: ${edge.from} may not import ${edge.to}, a layer above it`,
      );
  }
  return [...new Set(problems)];
}

function main() {
  const at = process.argv.indexOf('--root');
  const edges = folderImports(at > 0 ? resolve(process.argv[at + 1]) : root);
  if (process.argv.includes('--graph')) {
    const counts = new Map();
    for (const { from, to } of edges)
      counts.set(`${from} -> ${to}`, (counts.get(`${from} -> ${to}`) ?? 0) + 1);
    for (const layer of [...LAYERS].reverse()) {
      const below = [...counts]
        .filter(([key]) => key.startsWith(`${layer} -> `))
        .map(([key, n]) => `${key.split(' -> ')[1]} (${n})`);
      console.log(`${layer.padEnd(10)} -> ${below.join(', ') || '(nothing)'}`);
    }
  }
  const problems = layerViolations(edges);
  if (problems.length > 0) {
    console.error(
      `layers: ${problems.length} import(s) break the layering (bottom first: ${LAYERS.join(' < ')})`,
    );
    for (const problem of problems) console.error(`  ${problem}`);
    process.exit(1);
  }
  console.log(`layers: ${edges.length} cross-folder imports, every one downward (${LAYERS.join(' < ')})`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
