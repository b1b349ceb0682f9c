import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * The folders of src/ import only downward (scripts/check-layers.mjs, run by
 * `npm run lint`). Each case is a small src/ tree checked by the script itself.
 */
const SCRIPT = resolve(__dirname, '..', '..', '..', 'scripts', 'check-layers.mjs');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-layers-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function tree(files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function check(root?: string): { code: number | null; output: string } {
  const run = spawnSync(process.execPath, [SCRIPT, ...(root ? ['--root', root] : [])], { encoding: 'utf8' });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

test('the project itself imports only downward', () => {
  const result = check();
  expect(result.output).toMatch(/every one downward/);
  expect(result.code).toBe(0);
});

test('a model type that imports from the workflows is refused, even as a type import', () => {
  const result = check(
    tree({
      'workflows/messages.ts': 'export interface Status { phase: string }\n',
      'model/guardian.ts': "import type { Status } from '../workflows/messages';\nexport type S = Status;\n",
    }),
  );
  expect(result.code).toBe(1);
  expect(result.output).toContain(
    'src/model/guardian.ts imports ../workflows/messages: model may not import workflows, a layer above it',
  );
});

test('an import into a folder of the same layer or below passes; a dynamic import up is refused', () => {
  const root = tree({
    'text/table.ts': 'export const t = 1;\n',
    'cli/main.ts': "import { t } from '../text/table';\nexport const m = t;\n",
    'workflows/guardian.ts': "export async function g() { return import('../cli/main'); }\n",
  });
  const result = check(root);
  expect(result.code).toBe(1);
  expect(result.output).toContain('src/workflows/guardian.ts imports ../cli/main');
  expect(result.output).not.toContain('src/cli/main.ts imports');
});

test('a new folder must be given a layer', () => {
  const result = check(
    tree({
      'model/a.ts': 'export const a = 1;\n',
      'gadgets/b.ts': "import { a } from '../model/a';\nexport const b = a;\n",
    }),
  );
  expect(result.code).toBe(1);
  expect(result.output).toContain('src/gadgets is in no layer');
});
