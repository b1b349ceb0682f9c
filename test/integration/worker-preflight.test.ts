import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliProcess } from '../harness/cli';
import { integrationCliEnv } from '../harness/temporal';

/**
 * Issue 17, "a worker with a missing --approval-keys file starts and claims to
 * verify tokens": the failure surfaced only when someone acted, mid-incident.
 * The worker, run as a person runs it against a reachable Temporal, refuses
 * to start within seconds, one line per problem naming the flag and the file
 * or secret, and never prints a secret's value.
 */
let dir: string;
const processes: CliProcess[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-preflight-'));
});
afterAll(async () => {
  for (const p of processes) await p.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Well above a start on a busy machine, well below "it is running and will wait for work". */
const REFUSAL_WITHIN_MS = 45_000;

async function worker(args: string[], env: NodeJS.ProcessEnv = {}) {
  const cli = new CliProcess(['worker', '--state-dir', join(dir, 'state'), ...args], {
    RIPCORD_PROFILE: '',
    ...integrationCliEnv(),
    RIPCORD_TASK_QUEUE: `preflight-${randomUUID()}`,
    RIPCORD_APPROVAL_KEYS: '',
    RIPCORD_TARGETS: '',
    RIPCORD_AUDIT_KEY: '',
    ...env,
  });
  processes.push(cli);
  let timer: NodeJS.Timeout | undefined;
  const first = await Promise.race([
    cli.exited,
    new Promise<'running'>((r) => (timer = setTimeout(() => r('running'), REFUSAL_WITHIN_MS))),
  ]);
  clearTimeout(timer);
  if (first === 'running' || cli.stdout.includes('ripcord worker running')) {
    await cli.stop('SIGINT');
    throw new Error(`the worker started instead of refusing\nstdout:\n${cli.stdout}\nstderr:\n${cli.stderr}`);
  }
  return { code: first, stdout: cli.stdout, stderr: cli.stderr };
}

test('--approval-keys naming a file that does not exist: refused at start, naming the flag and the path', async () => {
  const result = await worker(['--approval-keys', '/nonexistent.json']);
  expect(result.code).toBe(1);
  expect(result.stderr).toBe(
    'ripcord: --approval-keys: key set /nonexistent.json does not exist (make one with `ripcord token keygen`)\n',
  );
  expect(result.stdout).toBe('');
});

test('a targets file naming a secret that is not set: refused at start, naming the secret, never a value', async () => {
  const targets = join(dir, 'targets.yaml');
  writeFileSync(
    targets,
    [
      'apiVersion: ripcord/v1',
      'kind: WorkerTargets',
      'targets:',
      "  flags: { type: unleash, url: 'https://unleash.internal:4242', tokenSecret: '${secret:PREFLIGHT_UNLEASH_TOKEN}' }",
      "  migrations: { type: postgres-migrations, services: { billing: { migrationsDir: /tmp, connectionSecret: '${secret:PREFLIGHT_DB}' } } }",
      '',
    ].join('\n'),
  );
  const result = await worker(['--targets', targets, '--insecure-claims'], {
    // One of the two is set: only the other is named, and the value is printed nowhere.
    RIPCORD_SECRET_PREFLIGHT_DB: 'postgres://ripcord:hunter2-preflight@db/billing',
  });
  expect(result.code).toBe(1);
  expect(result.stderr).toBe(
    `ripcord: --targets ${targets}: targets.flags.tokenSecret: secret "PREFLIGHT_UNLEASH_TOKEN" is not set ` +
      '(environment variable RIPCORD_SECRET_PREFLIGHT_UNLEASH_TOKEN or PREFLIGHT_UNLEASH_TOKEN)\n',
  );
  expect(`${result.stdout}${result.stderr}`).not.toContain('hunter2');
});
