import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { type Browser, chromium, type Page } from 'playwright-core';
import { assertPortFree, findFreePort } from '../../src/dev/ports';
import { DemoProcess } from './demo-process';

/**
 * The demo as a person runs it (`npm run demo -- --keep-running`), then the
 * Temporal Web UI as that person would use it, in headless Chromium: search
 * for the guardian by its search attributes, open it, read its user metadata.
 * The Current Details come from a query the still-running worker answers, so
 * they show that the stack really stayed up. Ctrl-C then has to end it all.
 */

const REPO_ROOT = resolve(__dirname, '..', '..');
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'e2e');
/** The Debian package; playwright-core never downloads a browser of its own. */
const CHROMIUM = '/usr/bin/chromium';
/** The bad-canary story takes about two minutes on an idle machine; CI machines are slower and shared. */
const STORY_TIMEOUT_MS = 5 * 60_000;
const UI_TIMEOUT_MS = 30_000;

let root: string;
let ports: { temporal: number; ui: number };
let demo: DemoProcess;
let browser: Browser | undefined;
/** From the guardian line of the demo's output: ripcord/demo/checkout/<deploymentId>. */
let deploymentId: string;
let workflowId: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ripcord-e2e-demo-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  ports = { temporal: await findFreePort(), ui: await findFreePort() };
  demo = new DemoProcess([
    'demo',
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
  await demo.waitFor(/the stack stays up for the Web UI at /, STORY_TIMEOUT_MS);
  const guardian = /^guardian (ripcord\/demo\/checkout\/(demo-\d+)) /m.exec(demo.stdout);
  if (!guardian) throw new Error(`no guardian line in the demo's output:\n${demo.output()}`);
  workflowId = guardian[1]!;
  deploymentId = guardian[2]!;
}, STORY_TIMEOUT_MS + 60_000);

afterAll(async () => {
  await browser?.close();
  // Normally the last test has already stopped it; after a failure this still leaves nothing behind.
  await demo?.stopForGood();
  for (const pid of leftoverProcesses()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (root) rmSync(root, { recursive: true, force: true });
}, 120_000);

test('while the stack is up, the demo has told the story: detected, rolled back, recovered', () => {
  const out = demo.stdout;
  expect(out).toContain(
    `watch it in the Web UI: http://127.0.0.1:${ports.ui}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`,
  );
  expect(out).toMatch(/verdict regressed at interval \d+/);
  expect(out).toMatch(/decision rollback \(automatic\): \S+ regressed/);
  expect(out).toMatch(/^\[[\d:]+\] outcome: rolled-back: rolled back to 1\.9\.0/m);
  // What the real parts say afterwards: traffic back on 1.9.0, the canary host reverted, the deploy system told once.
  expect(out).toMatch(/^nginx: +20\/20 probes answered by 1\.9\.0$/m);
  expect(out).toMatch(/^canary host: +runs 1\.9\.0 /m);
  expect(out).toMatch(/^deploy system: +rollback "[^"]+" received \d+×, acted once/m);
});

test('the Web UI finds the guardian by its search attributes, and its user metadata says what happened', async () => {
  const ui = `http://127.0.0.1:${ports.ui}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });

  const query = `RipcordDeploymentId="${deploymentId}" AND RipcordOutcome="rolled-back"`;
  await page.goto(`${ui}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
  const rows = page.getByTestId('workflows-summary-configurable-table-row');
  try {
    await rows.first().waitFor({ timeout: UI_TIMEOUT_MS });
  } finally {
    await screenshot(page, 'demo-web-ui-list.png');
  }
  expect(await rows.count()).toBe(1);
  const link = rows.first().getByRole('link', { name: workflowId, exact: true });
  await link.click();
  await page.waitForURL(/\/workflows\/ripcord%2Fdemo%2Fcheckout%2F/);

  try {
    await page.getByText('User Metadata', { exact: true }).click();
    // The panel renders each field in its own frame (markdown, sandboxed).
    const summary = await userMetadata(page, 'summary', /\S/);
    expect(summary.trim()).toBe('Guarding checkout 2.0.0 (was 1.9.0) in demo');
    const details = await userMetadata(page, 'details', /\S/);
    expect(details).toContain(`deployment: ${deploymentId}`);

    const current = await userMetadata(page, 'current-details', /outcome: rolled-back/);
    expect(current).toMatch(/^outcome: rolled-back — rolled back to 1\.9\.0/m);
    expect(current).toMatch(/^decision: rollback \(automatic\) — \S+ regressed/m);
    const steps = [...current.matchAll(/step (\d+) (\S+) \((\S+)\): (\S+)/g)];
    const planned = /plan sha256:\w+: risk \w+, (\d+) step\(s\)/.exec(demo.stdout);
    expect(steps.length).toBe(Number(planned?.[1]));
    expect(steps.map((s) => `${s[2]}: ${s[4]}`)).toEqual(steps.map((s) => `${s[2]}: done`));
  } finally {
    await screenshot(page, 'demo-web-ui-guardian.png');
  }
});

test('history holds ciphertext: a client without the demo key sees no plain payload (the Web UI above decoded it)', async () => {
  expect(demo.stdout).toMatch(/payloads encrypted \(AES-256-GCM, key demo-\d+\)/);
  const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
  try {
    // No data converter: what anyone with read access to the cluster, but not the key, would see.
    const history = await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
    const payloads = history.events!.flatMap((event) => {
      const input = event.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
      const result = event.workflowExecutionCompletedEventAttributes?.result?.payloads ?? [];
      const activityInput = event.activityTaskScheduledEventAttributes?.input?.payloads ?? [];
      // Health reads are local activities: their results live in markers, through the same codec.
      const marker = event.markerRecordedEventAttributes;
      const localResult =
        marker?.markerName === 'core_local_activity' ? (marker.details?.result?.payloads ?? []) : [];
      return [...input, ...result, ...activityInput, ...localResult];
    });
    expect(payloads.length).toBeGreaterThan(10);
    const encodings = new Set(payloads.map((p) => Buffer.from(p.metadata!.encoding!).toString('utf8')));
    expect([...encodings]).toEqual(['binary/encrypted']);
    // Nothing readable leaks around the ciphertext: not the deployment id, not the service.
    for (const p of payloads) {
      const text = Buffer.from(p.data!).toString('latin1');
      expect(text).not.toContain(deploymentId);
      expect(text).not.toContain('checkout');
    }
  } finally {
    await connection.close();
  }
});

test('Ctrl-C ends the demo with exit 0 after the timeline, and nothing it started keeps running', async () => {
  const nginxPort = Number(/nginx http:\/\/127\.0\.0\.1:(\d+) in front/.exec(demo.stdout)?.[1]);
  const fleet = /on http:\/\/127\.0\.0\.1:(\d+); Prometheus http:\/\/127\.0\.0\.1:(\d+)/.exec(demo.stdout);
  const code = await demo.interrupt(60_000);
  if (code !== 0) throw new Error(`the demo exited ${code} after Ctrl-C:\n${demo.output()}`);

  const out = demo.stdout;
  const timeline = out.slice(out.indexOf('\ntimeline:\n'));
  const order = ['deploy', 'onset', 'first breach', 'decision', 'rollback finished', 'recovery verified'].map(
    (milestone) => {
      const at = timeline.search(
        new RegExp(`^ +[\\d:]+ +T\\+ *[\\d.]+s +\\(\\+ *[\\d.]+s\\) +${milestone} `, 'm'),
      );
      expect({ milestone, found: at >= 0 }).toEqual({ milestone, found: true });
      return at;
    },
  );
  expect(order).toEqual([...order].sort((a, b) => a - b));
  expect(out.trim().split('\n').at(-1)).toMatch(
    /^outcome: rolled-back: rolled back to 1\.9\.0; error-rate: [\d.]+ within [\d.]+/,
  );

  const used: Array<[string, number]> = [
    ['Temporal', ports.temporal],
    ['Web UI', ports.ui],
    ['nginx', nginxPort],
    ['checkout 1.9.0', Number(fleet?.[1])],
    ['Prometheus', Number(fleet?.[2])],
  ];
  for (const [what, port] of used)
    await expect(assertPortFree(port, '127.0.0.1', what)).resolves.toBe(undefined);
  expect(leftoverProcesses()).toEqual([]);
});

/** Processes with the test's directory in their arguments: the dev server (--db), nginx, Prometheus, the services. */
function leftoverProcesses(): number[] {
  if (!root) return [];
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

async function screenshot(page: Page, name: string): Promise<void> {
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

/**
 * One field of the User Metadata panel, each rendered (markdown) in its own
 * frame. Current Details are fetched once with a query to the worker; when that
 * answer is not there yet, "r" fetches it again, as the panel suggests.
 */
async function userMetadata(
  page: Page,
  field: 'summary' | 'details' | 'current-details',
  expected: RegExp,
): Promise<string> {
  const body = page.frameLocator(`#user-metadata-${field}`).locator('body');
  const deadline = Date.now() + UI_TIMEOUT_MS;
  let text = '';
  while (Date.now() < deadline) {
    text = await body.innerText({ timeout: 5000 }).catch(() => '');
    if (expected.test(text)) return text;
    await page.waitForTimeout(1000);
    if (field === 'current-details') await page.keyboard.press('r');
  }
  throw new Error(`the Web UI's ${field} never showed ${expected}; last seen:\n${text}`);
}
