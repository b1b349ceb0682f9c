import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const EXAMPLES_DIR = resolve(REPO_ROOT, 'policies', 'examples');
export const FIXTURES_DIR = resolve(REPO_ROOT, 'test', 'fixtures', 'policies');
export const EXAMPLE_FILES = [
  'canary.yaml',
  'canary-p99-only.yaml',
  'blue-green.yaml',
  'feature-flag.yaml',
  'with-migration.yaml',
];

export function examplePath(name: string): string {
  return resolve(EXAMPLES_DIR, name);
}

export function exampleText(name: string): string {
  return readFileSync(examplePath(name), 'utf8');
}

/** A fresh, mutable copy of an example as plain data. */
export function exampleData(name: string): Record<string, unknown> {
  return parse(exampleText(name)) as Record<string, unknown>;
}

type Segment = string | number;

function containerAt(root: unknown, path: Segment[]): Record<Segment, unknown> {
  let node = root as Record<Segment, unknown>;
  for (const segment of path) node = node[segment] as Record<Segment, unknown>;
  return node;
}

/** Sets (or, with `undefined`, deletes) the value at a dotted path. */
export function setAt(root: unknown, dotted: string, value: unknown): void {
  const path: Segment[] = dotted.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const last = path.pop() as Segment;
  const parent = containerAt(root, path);
  if (value === undefined) delete parent[last];
  else parent[last] = value;
}

export function getAt(root: unknown, dotted: string): unknown {
  const path: Segment[] = dotted.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  return containerAt(root, path);
}
