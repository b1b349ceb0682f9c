import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { findFreePort } from '../../src/dev/ports';
import { runCli } from '../harness/cli';
import { DemoProcess } from './demo-process';

/**
 * Issue 17's acceptance: a guardian at the approval gate says so in the Web
 * UI, on its first tab, with the exact approve command in its Current
 * Details; a person copies that command, signs it with their key, runs it, and
 * the guardian proceeds. The demo's high-risk story brings the stack and the
 * approver's key (the demo prints where it is, in its own approve command).
 */

const REPO_ROOT = resolve(__dirname, '..', '..');
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'e2e');
/** The Debian package; playwright-core never downloads a browser of its own. */
const CHROMIUM = '/usr/bin/chromium';
/** Until the high-risk story reaches the gate: about a minute on an idle machine. */
const GATE_TIMEOUT_MS = 5 * 60_000;
const UI_TIMEOUT_MS = 30_000;

let root: string;
let ports: { temporal: number; ui: number };
let demo: DemoProcess;
let browser: Browser | undefined;
let workflowId: string;
/** The demo's own approve command, split into words: its environment and the approver's key come from it. */
let demoCommand: string[];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ripcord-e2e-approve-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  ports = { temporal: await findFreePort(), ui: await findFreePort() };
  demo = new DemoProcess([
    'demo',
    '--story',
    'high-risk',
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
  const printed = await demo.waitFor(
    /approve it from another shell in this directory with:\n\n {2}(.+)\n/,
    GATE_TIMEOUT_MS,
  );
  demoCommand = shellWords(printed[1]!);
  const guardian = /^guardian (ripcord\/demo\/checkout\/demo-\d+) /m.exec(demo.stdout);
  if (!guardian) throw new Error(`no guardian line in the demo's output:\n${demo.output()}`);
  workflowId = guardian[1]!;
}, GATE_TIMEOUT_MS + 60_000);

afterAll(async () => {
  await browser?.close();
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

test(
  'the Web UI shows the guardian at the gate with the approve command; running it lets the rollback proceed',
  async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });

    // The link the demo prints: the list kept to checkout's guardians, no lock or token-claim workflows.
    const listLink = /^guardians of checkout in the Web UI: (\S+)$/m.exec(demo.stdout)?.[1];
    expect(decodeURIComponent(new URL(listLink!).searchParams.get('query')!)).toBe(
      'WorkflowType="guardian" AND RipcordService="checkout"',
    );
    await page.goto(listLink!);
    const rows = page.getByTestId('workflows-summary-configurable-table-row');
    try {
      await rows.first().waitFor({ timeout: UI_TIMEOUT_MS });
    } finally {
      await screenshot(page, 'approve-web-ui-list.png');
    }
    expect(await rows.count()).toBe(1);
    await rows.first().getByRole('link', { name: workflowId, exact: true }).click();
    await page.waitForURL(/\/workflows\/ripcord%2Fdemo%2Fcheckout%2F/);

    // The first tab: its User Metadata says the guardian waits for approval, and how to give it.
    let details: string;
    try {
      await page.getByText('User Metadata', { exact: true }).click();
      details = await currentDetails(page, /Waiting for approval[\s\S]*npx ripcord approve/);
    } finally {
      await screenshot(page, 'approve-web-ui-gate.png');
    }
    expect(details.split('\n')[0]).toMatch(/^Waiting for approval — checkout 2\.0\.0 in demo/);
    expect(details).toMatch(/^who may act: sre \(1 approval needed\), until \d{4}-\d\d-\d\dT[\d:.]+Z$/m);
    const plan = /^plan (sha256:[0-9a-f]{64})$/m.exec(details)?.[1];
    expect(plan).toBeDefined();
    const command = /^((?:TEMPORAL_NAMESPACE=\S+ )?npx ripcord approve .+)$/m.exec(details)?.[1];
    if (!command) throw new Error(`no approve command in the Current Details:\n${details}`);
    expect(command).toContain(`--plan ${plan} --role sre`);

    // Run it as shown, signed with the approver's key, in the demo's environment (its ports, its payload keys).
    const words = shellWords(command);
    const npx = words.indexOf('npx');
    expect(words.slice(npx, npx + 3)).toEqual(['npx', 'ripcord', 'approve']);
    const env = Object.fromEntries(
      [...demoCommand.slice(0, demoCommand.indexOf('npx')), ...words.slice(0, npx)].map((w) => {
        const at = w.indexOf('=');
        return [w.slice(0, at), w.slice(at + 1)];
      }),
    );
    const key = demoCommand[demoCommand.indexOf('--key') + 1]!;
    const as = demoCommand[demoCommand.indexOf('--as') + 1]!;
    const approved = runCli([...words.slice(npx + 2), '--key', key, '--as', as], {
      env: { ...env, RIPCORD_PROFILE: '' },
      cwd: REPO_ROOT,
    });
    if (approved.code !== 0)
      throw new Error(`the approve command exited ${approved.code}:\n${approved.stdout}\n${approved.stderr}`);
    expect(approved.stdout).toMatch(/^accepted: /m);

    // The guardian proceeds: the rollback runs, and the demo tells the end of the story.
    await demo.waitFor(/^\[[\d:]+\] outcome: rolled-back: /m, GATE_TIMEOUT_MS);
    expect(demo.stdout).toMatch(/approved by alice \(sre\)/);
    await page.reload();
    try {
      await page.getByText('User Metadata', { exact: true }).click();
      const closed = await currentDetails(page, /outcome: rolled-back/);
      expect(closed.split('\n')[0]).toMatch(/^close: rolled-back — checkout 2\.0\.0 in demo/);
      expect(closed).toMatch(/^approvals: alice \(sre\)$/m);
      expect(closed).not.toContain('npx ripcord approve');
    } finally {
      await screenshot(page, 'approve-web-ui-after.png');
    }
  },
  GATE_TIMEOUT_MS + 60_000,
);

test(
  'Ctrl-C ends the demo with exit 0',
  async () => {
    await demo.waitFor(/the stack stays up for the Web UI at /, GATE_TIMEOUT_MS);
    const code = await demo.interrupt(60_000);
    if (code !== 0) throw new Error(`the demo exited ${code} after Ctrl-C:\n${demo.output()}`);
    expect(leftoverProcesses()).toEqual([]);
  },
  GATE_TIMEOUT_MS + 90_000,
);

/** Words as a POSIX shell splits them; enough for the commands ripcord prints (plain or single-quoted words). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.trim().matchAll(/(?:[^\s']+|'[^']*')+/g)) {
    words.push(m[0].replace(/'([^']*)'/g, '$1'));
  }
  return words;
}

function leftoverProcesses(): number[] {
  if (!root) return [];
  try {
    return execFileSync('pgrep', ['-f', root], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number)
      .filter((pid) => pid !== process.pid);
  } catch {
    return [];
  }
}

async function screenshot(page: Page, name: string): Promise<void> {
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

/** The Current Details field of User Metadata (a markdown frame); "r" fetches it again, as the panel suggests. */
async function currentDetails(page: Page, expected: RegExp): Promise<string> {
  const body = page.frameLocator('#user-metadata-current-details').locator('body');
  const deadline = Date.now() + UI_TIMEOUT_MS;
  let text = '';
  while (Date.now() < deadline) {
    text = await body.innerText({ timeout: 5000 }).catch(() => '');
    // The frame starts with blank lines; the details start at the first line with text.
    if (expected.test(text)) return text.trim();
    await page.waitForTimeout(1000);
    await page.keyboard.press('r');
  }
  throw new Error(`the Web UI's current details never showed ${expected}; last seen:\n${text}`);
}
