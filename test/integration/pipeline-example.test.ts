import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CliProcess, RIPCORD_BIN } from '../harness/cli';
import { integrationCliEnv } from '../harness/temporal';

/**
 * examples/pipelines/github-actions.yml run end to end, without a runner, by
 * scripts/run-github-actions-example.ts: in a small repository like a user's
 * (tags v1.9.0 and v2.0.0, a policy in policies/, ripcord installed), against
 * the integration tier's dev server and a --dry-run worker. The guard step
 * replays a scenario (RIPCORD_GUARD_FLAGS=--replay ...): a good deploy exits
 * 0, a bad one is rolled back and exits 10 after writing the postmortem page.
 */
const REPO_ROOT = resolve(__dirname, '..', '..');
const RUNNER = resolve(REPO_ROOT, 'scripts', 'run-github-actions-example.ts');
const TSX = resolve(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const FIXTURES = resolve(REPO_ROOT, 'test', 'unit', 'cli', 'fixtures');
const taskQueue = `pipeline-${randomUUID()}`;
// A service of this test's own: a guardian supersedes older ones of the same service.
const service = `checkout-${randomUUID().slice(0, 8)}`;

let dir: string;
let workspace: string;
let worker: CliProcess | undefined;

function git(...args: string[]): void {
  const result = spawnSync('git', args, { cwd: workspace, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
}

/** A repository as a user's would look after `npm ci`: policies, scenarios, ripcord in node_modules/.bin. */
function makeWorkspace(): void {
  mkdirSync(join(workspace, 'policies'));
  mkdirSync(join(workspace, 'scenarios'));
  mkdirSync(join(workspace, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(RIPCORD_BIN, join(workspace, 'node_modules', '.bin', 'ripcord'));
  // The p99 example: the replayed scenarios below carry a p99 and no latency histogram.
  const canary = readFileSync(resolve(REPO_ROOT, 'policies', 'examples', 'canary-p99-only.yaml'), 'utf8');
  writeFileSync(
    join(workspace, 'policies', 'checkout.yaml'),
    canary.replace(/^ {2}service: checkout$/m, `  service: ${service}`),
  );
  // The first 25 intervals of healthy-00: a healthy canary, short enough for a test.
  const healthy = JSON.parse(readFileSync(join(FIXTURES, 'healthy-00.json'), 'utf8')) as {
    series: Record<string, { baseline: unknown[]; canary: unknown[] }>;
  };
  for (const series of Object.values(healthy.series)) {
    series.baseline = series.baseline.slice(0, 25);
    series.canary = series.canary.slice(0, 25);
  }
  writeFileSync(join(workspace, 'scenarios', 'good.json'), JSON.stringify(healthy));
  writeFileSync(join(workspace, 'scenarios', 'bad.json'), readFileSync(join(FIXTURES, 'error-step-00.json')));
  writeFileSync(join(workspace, '.gitignore'), 'node_modules/\nripcord-report.html\n');
  git('init', '-q');
  git('config', 'user.email', 'ci@example.com');
  git('config', 'user.name', 'ci');
  git('add', '-A');
  git('commit', '-qm', 'checkout 1.9.0');
  git('tag', 'v1.9.0');
  writeFileSync(join(workspace, 'CHANGELOG'), '2.0.0\n');
  git('add', '-A');
  git('commit', '-qm', 'checkout 2.0.0');
  git('tag', 'v2.0.0');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-pipeline-'));
  workspace = join(dir, 'repo');
  mkdirSync(workspace);
  makeWorkspace();
  worker = new CliProcess(['worker', '--dry-run', '--state-dir', join(dir, 'worker')], {
    RIPCORD_PROFILE: '',
    ...integrationCliEnv(),
    RIPCORD_TASK_QUEUE: taskQueue,
    RIPCORD_AUDIT_DB: '',
    RIPCORD_CODEC_KEYS: '',
    RIPCORD_CODEC_KEYRING: '',
  });
  await worker.waitFor(/^ripcord worker running on /m, 120_000);
});

afterAll(async () => {
  await worker?.stop('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  output: string;
}

/** The runner as a person runs it from a shell; stopped (and explained) if it hangs. */
function runExample(args: string[], timeoutMs = 170_000): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(TSX, [RUNNER, ...args], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        RIPCORD_PROFILE: '',
        RIPCORD_AUDIT_DB: '',
        RIPCORD_CODEC_KEYS: '',
        RIPCORD_CODEC_KEYRING: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => {
      // The whole group: the runner, its bash steps and their ripcord processes.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
      reject(new Error(`the example did not finish in time\n${output}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, output });
    });
  });
}

const localStack = (scenario: string) => [
  '--workdir',
  workspace,
  // npm ci would reinstall node_modules; the workspace has ripcord installed already.
  '--skip',
  'install',
  '--env',
  'RIPCORD_PROFILE=local',
  '--env',
  `TEMPORAL_ADDRESS=${integrationCliEnv().TEMPORAL_ADDRESS}`,
  '--env',
  `TEMPORAL_NAMESPACE=${integrationCliEnv().TEMPORAL_NAMESPACE}`,
  '--env',
  `RIPCORD_TASK_QUEUE=${taskQueue}`,
  '--env',
  `RIPCORD_WEB_UI=${process.env.RIPCORD_TEST_TEMPORAL_UI}`,
  '--env',
  `SERVICE=${service}`,
  '--env',
  `RIPCORD_GUARD_FLAGS=--replay scenarios/${scenario}.json`,
];

function expectExit(run: Run, code: number): void {
  if (run.code !== code) throw new Error(`expected exit ${code}, got ${run.code}\n${run.output}`);
}

test('a good deploy: policies valid, deployed, guarded and promoted: exit 0, no report', async () => {
  const run = await runExample(localStack('good'));
  expectExit(run, 0);
  expect(run.output).toContain('::step validate every policy');
  expect(run.output).toContain('ok policies/checkout.yaml');
  expect(run.output).toContain(`deploying ${service} v2.0.0 to production as a canary`);
  expect(run.output).toMatch(
    // --replay: a rehearsal, under its own id (never the live guardian's).
    new RegExp(`^guardian ripcord-rehearsal/production/${service}/gh-\\d+-1 \\(running since`, 'm'),
  );
  expect(run.output).toMatch(/outcome: promoted: /);
  expect(run.output).toContain('::step postmortem report: skipped (if: failure())');
  expect(existsSync(join(workspace, 'ripcord-report.html'))).toBe(false);
});

test('a bad deploy is rolled back: the guard step exits 10, the report is written, the run exits 10', async () => {
  const run = await runExample(localStack('bad'));
  expectExit(run, 10);
  expect(run.output).toMatch(/decision rollback \(automatic\): error-rate/);
  expect(run.output).toMatch(/outcome: rolled-back: rolled back to v1\.9\.0/);
  expect(run.output).toContain('::step guard the deploy: exit 10');
  // The report step runs after the failure, as `if: failure()` says, and its success changes nothing.
  expect(run.output).toMatch(/^Deployment report: \S+ v2\.0\.0 in production \(deployment gh-\d+-1\)$/m);
  expect(readFileSync(join(workspace, 'ripcord-report.html'), 'utf8')).toContain('<svg');
  expect(run.output).toContain('::job deploy: failed with exit 10');
});

describe('the runner itself (no server)', () => {
  function workflow(yaml: string): string {
    const file = join(dir, `wf-${randomUUID().slice(0, 8)}.yml`);
    writeFileSync(file, yaml);
    return file;
  }

  test('stops at the first failing step with its code; failure() steps still run; $GITHUB_ENV carries over', async () => {
    const file = workflow(`
name: t
env: { GREETING: hello }
jobs:
  first:
    runs-on: ubuntu-latest
    steps:
      - run: echo "FROM_STEP=carried" >> "$GITHUB_ENV"
      - run: echo "$GREETING $FROM_STEP $NAME"
        env: { NAME: '\${{ github.event_name }}' }
      - run: exit 3
      - run: echo should-not-run
      - if: failure()
        run: echo cleanup-ran
  second:
    needs: first
    runs-on: ubuntu-latest
    steps:
      - run: echo second-ran
`);
    const run = await runExample([file, '--workdir', dir], 30_000);
    expectExit(run, 3);
    expect(run.output).toContain('hello carried push');
    expect(run.output).not.toContain('should-not-run');
    expect(run.output).toContain('cleanup-ran');
    expect(run.output).toContain('::job second: skipped');
    expect(run.output).not.toContain('second-ran');
  });

  test('an expression it cannot evaluate stops it with exit 2, naming the expression', async () => {
    const file = workflow(`
jobs:
  only:
    steps:
      - run: echo \${{ steps.deploy.outputs.version }}
`);
    const run = await runExample([file, '--workdir', dir], 30_000);
    expectExit(run, 2);
    expect(run.output).toContain('unsupported expression "steps.deploy.outputs.version"');
  });
});
