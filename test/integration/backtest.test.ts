import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import type { BacktestResult, BacktestRow } from '../../src/backtest';
import { CliProcess } from '../harness/cli';
import { integrationCliEnv } from '../harness/temporal';

/**
 * `ripcord backtest` on deployments that real guardians watched: a --dry-run
 * worker on the integration tier's dev server, and three guardians started as
 * a pipeline starts them (`guard --replay <scenario> --wait`), so that each
 * one's workflow history holds the readings it judged, interval by interval.
 * The deployments are then backtested under their own policy, a stricter one
 * and a looser one.
 *
 * `guard --replay` makes rehearsals (ripcord-rehearsal/… ids, health from a
 * scenario), which a backtest leaves out unless told: every backtest here
 * passes --include-rehearsals, and one checks that without it nothing is read.
 *
 * The scenarios are built here so that the decisions are known: 2000 requests
 * per interval and group, the baseline failing 1% of them, the canary:
 * - steady: 1% throughout;
 * - broken: 5% from interval 5 (the policy rolls back once its confirmation window has passed);
 * - mild: 1.5% throughout (under the 80% tolerance of the policy they ran with).
 */
jest.setTimeout(300_000);

const REPO_ROOT = resolve(__dirname, '..', '..');
const taskQueue = `backtest-${randomUUID()}`;
// A service of this test's own: a guardian supersedes older ones of its service, and the backtest reads by service.
const service = `bt-${randomUUID().slice(0, 8)}`;
const INTERVALS = 24;

let dir: string;
let worker: CliProcess | undefined;
const files: Record<string, string> = {};
const deploymentIds: Record<string, string> = {};

function scenario(name: string, canaryErrors: (i: number) => number): string {
  const constant = (value: number) => Array.from({ length: INTERVALS }, () => value);
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      format: 'ripcord.scenario/v1',
      name,
      intervalSeconds: 30,
      series: {
        requests: { baseline: constant(2000), canary: constant(2000) },
        errors: {
          baseline: constant(20),
          canary: Array.from({ length: INTERVALS }, (_, i) => canaryErrors(i)),
        },
        latency_p99_ms: { baseline: constant(120), canary: constant(120) },
      },
    }),
  );
  return file;
}

/**
 * The p99 example policy for this test's service, without recovery targets (a
 * replayed scenario has no data after its end, so a recovery check would wait
 * out its deadline), with the error-rate tolerance and confirmation window given.
 */
function policy(name: string, tolerance: number, confirmationWindowSeconds = 45, version = '1'): string {
  const p = parse(readFileSync(resolve(REPO_ROOT, 'policies', 'examples', 'canary-p99-only.yaml'), 'utf8'));
  p.metadata.service = service;
  p.metadata.version = version;
  p.recovery.targets = [];
  p.signals[0].tolerance.relative = tolerance;
  p.evaluation.confirmationWindowSeconds = confirmationWindowSeconds;
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(p));
  return file;
}

const env = (): NodeJS.ProcessEnv => ({
  RIPCORD_PROFILE: '',
  ...integrationCliEnv(),
  RIPCORD_TASK_QUEUE: taskQueue,
  RIPCORD_AUDIT_DB: '',
  RIPCORD_CODEC_KEYS: '',
  RIPCORD_CODEC_KEYRING: '',
});

async function ripcord(args: string[], timeoutMs = 150_000) {
  const cli = new CliProcess(args, env());
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
  const first = await Promise.race([cli.exited, timedOut]);
  clearTimeout(timer);
  if (first === 'timeout') {
    await cli.stop('SIGINT');
    throw new Error(`ripcord ${args[0]} did not finish\nstdout:\n${cli.stdout}\nstderr:\n${cli.stderr}`);
  }
  return { code: first, stdout: cli.stdout, stderr: cli.stderr };
}

function expectExit(result: { code: number | null; stdout: string; stderr: string }, code: number): void {
  if (result.code !== code) {
    throw new Error(
      `expected exit ${code}, got ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
    );
  }
}

async function backtestJson(policyFile: string): Promise<BacktestResult> {
  const result = await ripcord([
    'backtest',
    '--policy',
    policyFile,
    '--include-rehearsals',
    '--since',
    '1h',
    '--json',
  ]);
  expectExit(result, 0);
  return JSON.parse(result.stdout) as BacktestResult;
}

function byScenario(result: BacktestResult): Record<string, BacktestRow> {
  return Object.fromEntries(
    Object.entries(deploymentIds).map(([name, id]) => [
      name,
      result.deployments.find((r) => r.deploymentId === id)!,
    ]),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-backtest-'));
  files.base = policy('base', 0.8);
  files.strict = policy('strict', 0.1, 0, '2');
  files.loose = policy('loose', 10, 45, '2');
  files.steady = scenario('steady', () => 20);
  files.broken = scenario('broken', (i) => (i < 5 ? 20 : 100));
  files.mild = scenario('mild', () => 30);
  worker = new CliProcess(['worker', '--dry-run', '--state-dir', join(dir, 'worker')], env());
  await worker.waitFor(/^ripcord worker running on /m, 120_000);

  // Three deployments, watched side by side, each as a pipeline's guard step runs it.
  const guards = (['steady', 'broken', 'mild'] as const).map((name) => {
    deploymentIds[name] = `${name}-${randomUUID().slice(0, 8)}`;
    return ripcord([
      'guard',
      '--policy',
      files.base!,
      '--service',
      service,
      '--env',
      'production',
      '--version',
      '2.0.0',
      '--previous',
      '1.9.0',
      '--deployment-id',
      deploymentIds[name]!,
      '--replay',
      files[name]!,
      '--wait',
      '--poll',
      '1s',
    ]);
  });
  const [steady, broken, mild] = await Promise.all(guards);
  expectExit(steady!, 0);
  expectExit(broken!, 10);
  expectExit(mild!, 0);
}, 240_000);

afterAll(async () => {
  await worker?.stop('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

test('under the policy they ran with, the recorded readings lead to what the guardians decided', async () => {
  const result = await backtestJson(files.base!);
  expect(result.deployments).toHaveLength(3);
  const rows = byScenario(result);
  expect(rows.steady).toMatchObject({
    rehearsal: true,
    recorded: { outcome: 'promoted', decision: { decision: 'no-rollback' } },
    backtested: { decision: 'no-rollback', intervals: INTERVALS },
    change: 'same',
  });
  expect(rows.broken).toMatchObject({
    recorded: { outcome: 'rolled-back', decision: { decision: 'rollback', source: 'automatic' } },
    backtested: { decision: 'rollback' },
    change: 'same',
  });
  expect(rows.broken!.backtested.decidedAtIndex).toBe(rows.broken!.recorded.decision.decidedAtIndex);
  expect(rows.mild).toMatchObject({ recorded: { outcome: 'promoted' }, change: 'same' });
  expect(result.summary).toMatchObject({
    deployments: 3,
    rollbacks: { recorded: 1, backtested: 1, added: 0, removed: 0 },
    timing: { sooner: 0, later: 0, same: 1 },
    undecided: 0,
  });
});

test('a stricter policy: the mild regression rolled back too, the broken canary sooner', async () => {
  const result = await backtestJson(files.strict!);
  const rows = byScenario(result);
  expect(rows.steady).toMatchObject({ backtested: { decision: 'no-rollback' }, change: 'same' });
  // Without a confirmation window the jump at interval 5 is acted on at once.
  expect(rows.broken).toMatchObject({
    backtested: { decision: 'rollback', decidedAtIndex: 5 },
    change: 'sooner',
  });
  const recordedAt = rows.broken!.recorded.decision.decidedAtIndex!;
  expect(recordedAt).toBeGreaterThan(5);
  expect(rows.broken!.shiftSeconds).toBe((5 - recordedAt) * 30);
  expect(rows.mild).toMatchObject({
    recorded: { outcome: 'promoted' },
    backtested: { decision: 'rollback', signal: 'error-rate' },
    change: 'rollback-added',
  });
  expect(result.summary).toMatchObject({
    deployments: 3,
    rollbacks: { recorded: 1, backtested: 2, added: 1, removed: 0 },
    escalations: { recorded: 0, backtested: 0 },
    timing: { sooner: 1, later: 0, same: 0, medianShiftSeconds: (5 - recordedAt) * 30 },
    undecided: 0,
  });

  // The same backtest as a person reads it: a line per deployment and the summary table.
  const text = await ripcord([
    'backtest',
    '--policy',
    files.strict!,
    '--include-rehearsals',
    '--since',
    '1h',
  ]);
  expectExit(text, 0);
  expect(text.stdout).toMatch(
    new RegExp(
      `^${deploymentIds.mild} \\(rehearsal\\) .* promoted: no rollback +rollback after .* \\+ rollback$`,
      'm',
    ),
  );
  expect(text.stdout).toMatch(new RegExp(`^${deploymentIds.broken} \\(rehearsal\\) .* sooner by `, 'm'));
  expect(text.stdout).toMatch(/^ {2}rollbacks +1 +2 +\+1 \(1 added, 0 removed\)$/m);
  expect(text.stdout).toContain('In short: more rollbacks (2, was 1)');
});

test('a looser policy: no rollback where the watch ran out, undecided where the readings end at the rollback', async () => {
  const result = await backtestJson(files.loose!);
  const rows = byScenario(result);
  expect(rows.steady).toMatchObject({ backtested: { decision: 'no-rollback' }, change: 'same' });
  expect(rows.mild).toMatchObject({ backtested: { decision: 'no-rollback' }, change: 'same' });
  // The guardian rolled back: its readings stop there, and the looser policy had not decided by then.
  expect(rows.broken).toMatchObject({
    backtested: { decision: 'undecided', decidedAtIndex: null },
    change: 'undecided',
  });
  expect(rows.broken!.backtested.reason).toContain('where the recorded readings end');
  expect(result.summary).toMatchObject({
    rollbacks: { recorded: 1, backtested: 0, added: 0, removed: 0 },
    undecided: 1,
  });
});

test('rehearsals are left out unless asked for', async () => {
  const result = await ripcord(['backtest', '--policy', files.base!, '--since', '1h']);
  expectExit(result, 1);
  expect(result.stdout).toContain('No deployment to backtest.');
  expect(result.stdout).toContain(
    'note: 3 rehearsal(s) left out (--include-rehearsals to backtest them too)',
  );
});

test('a policy reading a series the guardians did not read is refused, naming it', async () => {
  // The histogram example: latency from its buckets, which these guardians never read.
  const p = parse(readFileSync(resolve(REPO_ROOT, 'policies', 'examples', 'canary.yaml'), 'utf8'));
  p.metadata.service = service;
  const histogram = join(dir, 'histogram.yaml');
  writeFileSync(histogram, stringify(p));
  const refused = await ripcord(['backtest', '--policy', histogram, '--include-rehearsals', '--since', '1h']);
  expectExit(refused, 1);
  expect(refused.stderr).toContain('the recorded readings do not cover');
  expect(refused.stderr).toMatch(
    /series latency: not in the recorded readings \(they hold errors, latency_p99_ms, requests\); deployments /,
  );

  const other = await ripcord(['backtest', '--policy', files.base!, '--service', 'someone-else']);
  expectExit(other, 2);
  expect(other.stderr).toContain(`is the policy of ${service}, not of someone-else`);
});
