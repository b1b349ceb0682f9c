import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..', '..');

/**
 * `npm run lint` must fail on workflow code that could break determinism. The
 * fixtures are written where real workflows live, linted by the eslint binary with
 * the project's own configuration (as `npm run lint` does; one run, since typed
 * linting takes seconds to start), and removed.
 */
const fixtures = {
  importsFs:
    "import * as fs from 'fs';\nexport async function w(): Promise<string> {\n  return fs.readFileSync('/etc/hostname', 'utf8');\n}\n",
  importsActivityImpl:
    "import { createActivities } from '../activities';\nexport const x = createActivities;\n",
  importsActivityType:
    "import type { GuardianActivities } from '../activities';\nexport type X = GuardianActivities;\n",
  floatingPromise:
    "import { sleep } from '@temporalio/workflow';\nexport async function w(): Promise<void> {\n  sleep(1000);\n}\n",
  readsEnvironment: 'export const region = process.env.REGION;\n',
};
type Fixture = keyof typeof fixtures;

let messages: Record<Fixture, string[]>;
let exitCode: number | null;

beforeAll(() => {
  const files = Object.fromEntries(
    Object.keys(fixtures).map((name) => [
      name,
      join(root, 'src', 'workflows', `lint-fixture-${process.pid}-${name}.ts`),
    ]),
  ) as Record<Fixture, string>;
  try {
    for (const name of Object.keys(fixtures) as Fixture[]) writeFileSync(files[name], fixtures[name]);
    const run = spawnSync(
      join(root, 'node_modules', '.bin', 'eslint'),
      ['--format', 'json', ...Object.values(files)],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    exitCode = run.status;
    const results = JSON.parse(run.stdout) as {
      filePath: string;
      messages: { ruleId: string; message: string }[];
    }[];
    messages = Object.fromEntries(
      (Object.keys(fixtures) as Fixture[]).map((name) => [
        name,
        results.find((r) => r.filePath === files[name])!.messages.map((m) => `${m.ruleId}: ${m.message}`),
      ]),
    ) as Record<Fixture, string[]>;
  } finally {
    for (const file of Object.values(files)) rmSync(file, { force: true });
  }
}, 120_000);

test('lint exits non-zero when a workflow file breaks the rules', () => {
  expect(exitCode).toBe(1);
});

test('a workflow that imports fs fails lint', () => {
  expect(messages.importsFs).toEqual([expect.stringMatching(/no-restricted-imports: .*no Node builtins/)]);
});

test('a workflow that imports an activity implementation fails lint; a type import passes', () => {
  expect(messages.importsActivityImpl).toEqual([expect.stringMatching(/only the \*types\* of activities/)]);
  expect(messages.importsActivityType).toEqual([]);
});

test('a floating promise in workflow code fails lint', () => {
  expect(messages.floatingPromise).toEqual([expect.stringMatching(/no-floating-promises/)]);
});

test('workflow code may not read the process environment', () => {
  expect(messages.readsEnvironment).toEqual([expect.stringMatching(/no-restricted-globals/)]);
});
