import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { writeNewKeyring } from '../../src/security/codec';
import { CliProcess } from '../harness/cli';
import { integrationCliEnv } from '../harness/temporal';

/**
 * `ripcord report` on a rolled-back deployment, as a person writing the
 * postmortem uses it: a real guardian runs to a rollback on the integration
 * tier's dev server (a scenario as its health source, the dry-run target, its
 * history encrypted), then the report is read in a terminal and opened in
 * headless Chromium, where the signals chart and the timeline must show.
 */
const REPO_ROOT = resolve(__dirname, '..', '..');
// The p99 example: error-step-00 carries a p99 and no latency histogram.
const CANARY_POLICY = resolve(REPO_ROOT, 'policies', 'examples', 'canary-p99-only.yaml');
const SCENARIO = resolve(REPO_ROOT, 'test', 'unit', 'cli', 'fixtures', 'error-step-00.json');
const ARTIFACTS = resolve(REPO_ROOT, 'test-artifacts', 'report');
const CHROMIUM = '/usr/bin/chromium';
// A service of this test's own: a guardian supersedes older ones of the same service (rehearse.test.ts uses checkout).
const service = `checkout-${randomUUID().slice(0, 8)}`;

let dir: string;
let keysFile: string;
let policyFile: string;
let browser: Browser | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-report-'));
  keysFile = join(dir, 'keyring.json');
  await writeNewKeyring(keysFile, 'k-report');
  policyFile = join(dir, 'policy.yaml');
  const canary = readFileSync(CANARY_POLICY, 'utf8');
  writeFileSync(policyFile, canary.replace(/^ {2}service: checkout$/m, `  service: ${service}`));
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  RIPCORD_PROFILE: '',
  ...integrationCliEnv(),
  RIPCORD_WEB_UI: process.env.RIPCORD_TEST_TEMPORAL_UI,
  RIPCORD_CODEC_KEYS: keysFile,
  RIPCORD_AUDIT_DB: '',
  ...extra,
});

/** One command to its end, stopped (and explained) if it hangs. */
async function ripcord(args: string[], extra: NodeJS.ProcessEnv = {}, timeoutMs = 150_000) {
  const cli = new CliProcess(args, env(extra));
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

test('a rolled-back deployment: the report tells the story in text and as a page with the chart and the timeline', async () => {
  const rehearsal = await ripcord([
    'rehearse',
    '--profile',
    'local',
    '--state-dir',
    join(dir, 'state'),
    '--policy',
    policyFile,
    '--scenario',
    SCENARIO,
  ]);
  expectExit(rehearsal, 10);
  const deploymentId = /rehearsal-[0-9a-f]{8}/.exec(rehearsal.stdout)![0];
  const auditFile = /^audit trail: (\S+)$/m.exec(rehearsal.stdout)?.[1];
  expect(auditFile).toBeDefined();

  // Without the keyring the encrypted history cannot be read, and the command says what to do.
  const locked = await ripcord(['report', deploymentId], { RIPCORD_CODEC_KEYS: '' });
  expectExit(locked, 1);
  expect(locked.stderr).toContain('encrypted (key id "k-report")');
  expect(locked.stderr).toContain('RIPCORD_CODEC_KEYS');

  const htmlFile = join(dir, 'out', 'report.html');
  const report = await ripcord(['report', deploymentId, '--audit-file', auditFile!, '--html', htmlFile]);
  expectExit(report, 0);
  const text = report.stdout;
  expect(text).toContain(`Deployment report: ${service} canary in production (deployment ${deploymentId})`);
  expect(text).toMatch(/^outcome +rolled-back: rolled back to baseline/m);
  // The timeline, in order: deploy, onset (the scenario records it), first breach, decision, steps, outcome.
  const timelineText = text.slice(text.indexOf('\nTimeline\n'), text.indexOf('\nSignals\n'));
  const order = [
    `${service} canary deployed to production`,
    'the regression began (interval 13',
    'first breach at interval 14: error-rate',
    'rollback: error-rate regressed',
    'step 0 (drain-canary) done: canary weight 0%',
    'step 1 (announce) done',
    'rolled-back: rolled back to baseline',
  ].map((needle) => timelineText.indexOf(needle));
  expect(order.every((at) => at >= 0)).toBe(true);
  expect([...order].sort((a, b) => a - b)).toEqual(order);
  expect(text).toMatch(/rollback \(automatic\) after interval \d+ at .*: error-rate regressed/);
  expect(text).toMatch(/error-rate: regressed \(confirmed\), (?:[\d.]+|over 1000)× the evidence needed/);
  expect(text).toMatch(/0 drain-canary +shift-traffic +done/);
  expect(text).toMatch(/all 7 records verified; head seq 6 sha256:[0-9a-f]{64}/);
  expect(text).toContain(`HTML report written to ${htmlFile}`);

  const html = readFileSync(htmlFile, 'utf8');
  expect(html).not.toMatch(/<script|<link|@import|url\(/i);

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const fetched: string[] = [];
  page.on('request', (request) => fetched.push(request.url()));
  await page.goto(`file://${htmlFile}`);

  // The chart: one SVG with a panel per signal, each group drawn as a line, onset and decision marked.
  const chart = page.locator('#signals svg');
  await expect(chart.isVisible()).resolves.toBe(true);
  const chartText = await chart.textContent();
  expect(chartText).toContain('error-rate: errors / requests');
  expect(chartText).toContain('latency-p99: latency_p99_ms');
  expect(chartText).toContain('onset');
  expect(chartText).toContain('first breach');
  expect(chartText).toContain('rollback');
  expect(await chart.locator('polyline[stroke="#d1495b"]').count()).toBeGreaterThanOrEqual(2);
  expect(await chart.locator('polyline[stroke="#4a6fa5"]').count()).toBeGreaterThanOrEqual(2);
  const box = await chart.boundingBox();
  expect(box!.width).toBeGreaterThan(500);
  expect(box!.height).toBeGreaterThan(300);

  // The timeline: visible, from the deploy to the outcome.
  const timeline = page.locator('#timeline table');
  await expect(timeline.isVisible()).resolves.toBe(true);
  const rows = await timeline.locator('tbody tr').allInnerTexts();
  expect(rows[0]).toContain('deployed to production');
  expect(rows.some((r) => r.includes('decision') && r.includes('error-rate regressed'))).toBe(true);
  expect(rows.at(-1)).toContain('rolled-back');

  expect(await page.locator('#plan + p code').textContent()).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(await page.locator('#audit + p').textContent()).toContain('all 7 records verified');
  // Self-contained: nothing but the page itself was loaded.
  expect(fetched).toEqual([`file://${htmlFile}`]);

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'report-rolled-back.png'), fullPage: true });

  // An edited audit record: the report still shows, names the first bad record, and exits 1.
  const lines = readFileSync(auditFile!, 'utf8').trim().split('\n');
  lines[2] = lines[2]!.replace('risk normal"', 'risk low"');
  const edited = join(dir, 'edited-audit.jsonl');
  writeFileSync(edited, `${lines.join('\n')}\n`);
  const tampered = await ripcord(['report', deploymentId, '--audit-file', edited]);
  expectExit(tampered, 1);
  expect(tampered.stdout).toMatch(/DOES NOT VERIFY: first bad record at line 3 \(seq 2/);
});
