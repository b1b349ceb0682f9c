import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CliProcess } from '../harness/cli';
import { integrationCliEnv } from '../harness/temporal';

/**
 * `ripcord rehearse` as a policy author runs it: the real guardian on a real
 * Temporal server, a scenario as the only health source, the recording dry-run
 * target instead of production. A regression rolls back (exit 10) with every
 * step applied exactly once; a healthy canary is promoted (exit 0). The example
 * policy judges latency on a histogram, so the scenarios are from the histogram
 * set (each interval carries latency_le_<ms>), at the policy's 30 s interval.
 */
const REPO_ROOT = resolve(__dirname, '..', '..');
const CANARY_POLICY = resolve(REPO_ROOT, 'policies', 'examples', 'canary.yaml');
const SCENARIOS = resolve(REPO_ROOT, 'test', 'fixtures', 'scenarios', 'shared-histogram');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-rehearse-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Well inside jest's own timeout, so that a stuck rehearsal is stopped cleanly (SIGINT) and explains itself. */
const REHEARSAL_TIMEOUT_MS = 150_000;

async function rehearse(args: string[], env: NodeJS.ProcessEnv = {}) {
  const cli = new CliProcess(['rehearse', '--state-dir', dir, ...args], { RIPCORD_PROFILE: '', ...env });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>(
    (r) => (timer = setTimeout(() => r('timeout'), REHEARSAL_TIMEOUT_MS)),
  );
  const first = await Promise.race([cli.exited, timedOut]);
  clearTimeout(timer);
  if (first === 'timeout') {
    await cli.stop('SIGINT');
    throw new Error(`rehearse did not finish in time\nstdout:\n${cli.stdout}\nstderr:\n${cli.stderr}`);
  }
  return { code: first, stdout: cli.stdout, stderr: cli.stderr };
}

/** Fails with everything the command said, so that a wrong exit code explains itself. */
function expectExit(result: { code: number | null; stdout: string; stderr: string }, code: number): void {
  if (result.code !== code) {
    throw new Error(
      `expected exit ${code}, got ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
    );
  }
}

interface JournalLine {
  kind: string;
  key: string;
  scope: { deploymentId: string };
}

test('a confirmed regression rolls back (exit 10), each step applied exactly once', async () => {
  const result = await rehearse(
    ['--policy', CANARY_POLICY, '--scenario', join(SCENARIOS, 'error-step-00.json'), '--profile', 'local'],
    integrationCliEnv(),
  );
  expectExit(result, 10);
  expect(result.stdout).toMatch(
    /^guardian ripcord-rehearsal\/production\/checkout\/rehearsal-[0-9a-f]{8} on /m,
  );
  expect(result.stdout).toMatch(
    new RegExp(
      `^Web UI +http://\\S+/namespaces/${integrationCliEnv().TEMPORAL_NAMESPACE}/workflows/ripcord-rehearsal%2Fproduction`,
      'm',
    ),
  );
  expect(result.stdout).toMatch(/decision rollback \(automatic\): error-rate/);
  expect(result.stdout).toMatch(/step 0 drain-canary \(shift-traffic\): done/);
  expect(result.stdout).toMatch(/outcome: rolled-back: /);
  expect(result.stdout).toContain('  step 0 drain-canary: applied once');
  expect(result.stdout).toContain('  step 1 announce: applied once');

  // The journal itself, not only the summary: every step of this rehearsal applied once.
  const journalFile = /dry-run target \(journal (\S+)\):/.exec(result.stdout)?.[1];
  expect(journalFile).toBeDefined();
  const deploymentId = /rehearsal-[0-9a-f]{8}/.exec(result.stdout)?.[0];
  const lines = readFileSync(journalFile!, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as JournalLine)
    .filter((l) => l.scope.deploymentId === deploymentId);
  const applied = lines.filter((l) => l.kind === 'applied').map((l) => l.key);
  expect(applied).toHaveLength(2);
  expect(new Set(applied).size).toBe(2);
});

test('a healthy canary is promoted (exit 0) on an embedded dev server, nothing applied', async () => {
  // The set's healthy scenario at 30 s intervals (40 of them): short enough for a test as it is.
  const scenarioFile = join(SCENARIOS, 'low-traffic-healthy-01.json');

  const result = await rehearse(['--policy', CANARY_POLICY, '--scenario', scenarioFile]);
  expectExit(result, 0);
  expect(result.stdout).toMatch(/embedded dev server on 127\.0\.0\.1:\d+, Web UI http:\/\/127\.0\.0\.1:\d+/);
  expect(result.stdout).toMatch(/outcome: promoted: /);
  expect(result.stdout).toContain('dry-run target: no step was applied');
});
