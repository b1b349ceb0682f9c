import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { findFreePort } from '../../src/dev/ports';
import type { GuardianResult } from '../../src/model/guardian';
import type { ReleaseResult } from '../../src/model/release';
import { encryptingDataConverter, loadKeyringFile } from '../../src/security/codec';
import { parseUpstreams } from '../../src/targets/nginx';
import { DemoProcess } from './demo-process';

/**
 * The release stories as a person runs them (`ripcord demo --story release`,
 * `--story release-outage`, with --keep-running so the stack can be read
 * afterwards), each as its own process on its own stack, one after the other.
 * Each test checks what the demo said, then the real stack itself: nginx's
 * upstream files and probes through nginx (where the traffic goes), and the
 * release's and its members' results read from Temporal with the run's key.
 * The stories' durations are printed, never asserted.
 */

/** A story takes about two minutes on a small machine; shared CI machines are slower. */
const STORY_TIMEOUT_MS = 6 * 60_000;

interface Run {
  root: string;
  demo: DemoProcess;
  ports: { temporal: number; ui: number };
  releaseId: string;
  workflowId: string;
  runDir: string;
  nginxUrl: string;
  /** host:port of each instance, by "<service> <role>". */
  instances: Record<string, string>;
  wallSeconds: number;
}

const runs: Run[] = [];

afterAll(async () => {
  for (const run of runs) {
    await run.demo.stopForGood();
    for (const pid of leftoverProcesses(run.root)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(run.root, { recursive: true, force: true });
  }
}, 120_000);

async function tell(story: 'release' | 'release-outage'): Promise<Run> {
  const root = mkdtempSync(join(tmpdir(), `ripcord-e2e-${story}-`));
  const ports = { temporal: await findFreePort(), ui: await findFreePort() };
  const began = Date.now();
  const demo = new DemoProcess([
    'demo',
    '--story',
    story,
    '--keep-running',
    '--port',
    String(ports.temporal),
    '--ui-port',
    String(ports.ui),
    '--db',
    join(root, 'demo.db'),
    '--state-dir',
    join(root, 'state'),
  ]);
  const partial = { root, demo, ports } as Run;
  runs.push(partial);
  await demo.waitFor(/the stack stays up for the Web UI at /, STORY_TIMEOUT_MS);
  const wallSeconds = (Date.now() - began) / 1000;
  const out = demo.stdout;
  const release = /^release (ripcord-release\/demo\/shop-2-0\/(demo-[\d-]+)): /m.exec(out);
  const runDir = /^starting the embedded stack in (\S+)$/m.exec(out)?.[1];
  const nginxUrl = /^ {2}nginx (http:\/\/127\.0\.0\.1:\d+) in front/m.exec(out)?.[1];
  if (!release || !runDir || !nginxUrl)
    throw new Error(`the demo did not say where things are:\n${demo.output()}`);
  const instances: Record<string, string> = {};
  for (const m of out.matchAll(/^ {2}(\S+) [\d.]+ \((baseline|canary)\) on http:\/\/(127\.0\.0\.1:\d+)/gm)) {
    instances[`${m[1]} ${m[2]}`] = m[3]!;
  }
  const took = /^story "[^"]+" took (\d+) s$/m.exec(out)?.[1];
  console.log(
    `story ${story}: ${took ?? '?'} s by its own count, ${wallSeconds.toFixed(0)} s until the stack stood still`,
  );
  return Object.assign(partial, {
    releaseId: release[2]!,
    workflowId: release[1]!,
    runDir,
    nginxUrl,
    instances,
    wallSeconds,
  });
}

/** The canary's weight as nginx's own configuration says (0 when the canary is listed down). */
function canaryWeight(run: Run, service: string): number | undefined {
  const text = readFileSync(join(run.runDir, 'nginx', 'upstreams', `${service}.conf`), 'utf8');
  const upstream = parseUpstreams(text).find((u) => u.name === service);
  const canary = upstream?.servers.find((s) => s.address === run.instances[`${service} canary`]);
  if (canary === undefined) return undefined;
  return canary.down ? 0 : canary.weight;
}

/** Which versions answer `count` requests for `service` through nginx (new connections, as the probes do). */
async function versionsThroughNginx(run: Run, service: string, count = 20): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const version = await new Promise<string>((done, fail) => {
      const req = request(
        `${run.nginxUrl}/`,
        { headers: { host: service }, agent: false, timeout: 5000 },
        (res) => {
          res.resume();
          done(String(res.headers['x-version'] ?? 'none'));
        },
      );
      req.once('error', fail);
      req.end();
    });
    seen[version] = (seen[version] ?? 0) + 1;
  }
  return seen;
}

/** The release's and its members' results, read from Temporal with the run's payload key. */
async function results(run: Run): Promise<{
  release: ReleaseResult;
  members: Record<string, GuardianResult>;
}> {
  const keyring = loadKeyringFile(join(run.runDir, 'keys', 'codec-keyring.json'));
  const connection = await Connection.connect({ address: `127.0.0.1:${run.ports.temporal}` });
  try {
    const client = new Client({ connection, dataConverter: encryptingDataConverter(keyring) });
    const release = (await client.workflow.getHandle(run.workflowId).result()) as ReleaseResult;
    const members: Record<string, GuardianResult> = {};
    for (const service of ['payments', 'checkout']) {
      const id = `ripcord/demo/${service}/${run.releaseId}`;
      members[service] = (await client.workflow.getHandle(id).result()) as GuardianResult;
    }
    return { release, members };
  } finally {
    await connection.close();
  }
}

async function ctrlC(run: Run): Promise<void> {
  const code = await run.demo.interrupt(60_000);
  if (code !== 0) throw new Error(`the demo exited ${code} after Ctrl-C:\n${run.demo.output()}`);
  expect(leftoverProcesses(run.root)).toEqual([]);
}

test(
  'release: payments regresses, the release rolls back payments alone; checkout is promoted',
  async () => {
    const run = await tell('release');
    const out = run.demo.stdout;
    expect(out).toMatch(/the story turns a fault on: payments 2\.0\.0 \(canary\): new authorisation path/);
    expect(out).toMatch(/release verdict (isolated|cascade) at interval \d+; rolls back payments$/m);
    expect(out).toMatch(/callers of checkout since the fault: 2\.0\.0 [\d.]+% errors/);
    expect(out).toMatch(/payments 2\.0\.0: rolling-back → rolled-back/);
    expect(out).toMatch(/checkout 2\.0\.0: \S+ → promoted/);
    expect(out).toMatch(/^rolled back: payments; members: payments rolled-back, checkout promoted$/m);
    expect(out).toContain(
      `the release in the Web UI: http://127.0.0.1:${run.ports.ui}/namespaces/default/workflows/${encodeURIComponent(run.workflowId)}`,
    );

    // Temporal: the release's result, and each member guardian's own.
    const { release, members } = await results(run);
    expect(release).toMatchObject({
      outcome: 'rolled-back',
      rolledBack: ['payments'],
      members: { payments: 'rolled-back', checkout: 'promoted' },
    });
    expect(['isolated', 'cascade']).toContain(release.verdicts[0]?.kind);
    expect(members.payments?.outcome).toBe('rolled-back');
    expect(members.checkout?.outcome).toBe('promoted');

    // nginx: payments' canary drained by the rollback; checkout's promoted by the pipeline afterwards.
    expect(canaryWeight(run, 'payments')).toBe(0);
    expect(canaryWeight(run, 'checkout')).toBe(100);
    expect(await versionsThroughNginx(run, 'payments')).toEqual({ '1.9.0': 20 });
    expect(await versionsThroughNginx(run, 'checkout')).toEqual({ '2.0.0': 20 });

    await ctrlC(run);
  },
  STORY_TIMEOUT_MS + 120_000,
);

test(
  'release-outage: db-proxy fails under every version; the release escalates, is aborted, and rolls nothing back',
  async () => {
    const run = await tell('release-outage');
    const out = run.demo.stdout;
    expect(out).toMatch(/the story turns a fault on: db-proxy 1\.0\.0 \(baseline\): outage/);
    expect(out).toMatch(/release verdict systemic at interval \d+$/m);
    expect(out).toMatch(/db-proxy \(outside the release\) error-rate/);
    expect(out).toMatch(/callers of checkout since the fault: 2\.0\.0 \d+% errors .*, 1\.9\.0 \d+% errors/);
    expect(out).toMatch(/^ {2}\S.* npx ripcord abort demo-[\d-]+ --key \S+ --as alice --role sre --reason /m);
    expect(out).toMatch(/ripcord abort exited 0$/m);
    expect(out).toMatch(/^rolled back: nothing; members: payments aborted, checkout aborted$/m);
    expect(out).toContain(`the release in the Web UI: http://127.0.0.1:${run.ports.ui}/`);

    const { release, members } = await results(run);
    expect(release).toMatchObject({
      outcome: 'aborted',
      rolledBack: [],
      members: { payments: 'aborted', checkout: 'aborted' },
    });
    expect(release.verdicts.map((v) => v.kind)).toEqual(['systemic']);
    expect(members.payments?.outcome).toBe('aborted');
    expect(members.checkout?.outcome).toBe('aborted');

    // nginx untouched: both canaries still take the share the deploy gave them.
    expect(canaryWeight(run, 'payments')).toBe(50);
    expect(canaryWeight(run, 'checkout')).toBe(50);
    const payments = await versionsThroughNginx(run, 'payments');
    expect(Object.keys(payments).sort()).toEqual(['1.9.0', '2.0.0']);

    await ctrlC(run);
  },
  STORY_TIMEOUT_MS + 120_000,
);

/** Processes with the test's directory in their arguments: the dev server (--db), nginx, Prometheus, the services. */
function leftoverProcesses(root: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', root], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number)
      .filter((pid) => pid !== process.pid);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}
