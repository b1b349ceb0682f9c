import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatJournal } from '../../../src/cli/commands/rehearse';
import { defaultSpeed, parseSpeed, rehearsalPollMs, secondsPerInterval } from '../../../src/cli/speed';
import {
  prepareRehearsal,
  rehearsalInput,
  rehearsalProblems,
  RehearsalSetupError,
} from '../../../src/rehearsal/prepare';
import { summariseJournal } from '../../../src/dev/rehearse';
import { loadPolicyFile, type LoadedPolicy } from '../../../src/policy';
import { parseScenarioText } from '../../../src/simulate/scenario-files';
import { JournalView, type JournalEntry } from '../../../src/targets';
import { P99_POLICY, SCENARIOS } from './helpers';

let canary: LoadedPolicy;
beforeAll(async () => {
  // The scenarios in SCENARIOS carry a p99 and no buckets: the p99 example reads them (a histogram: test/unit/rehearsal).
  canary = await loadPolicyFile(P99_POLICY);
});

function scenario(intervalSeconds: number, seriesNames: string[]) {
  const series = Object.fromEntries(seriesNames.map((n) => [n, { baseline: [1, 1], canary: [1, 1] }]));
  return parseScenarioText(
    JSON.stringify({ format: 'ripcord.scenario/v1', name: 'tiny', intervalSeconds, series }),
    'tiny.json',
  );
}

describe('rehearse: does the scenario fit the policy?', () => {
  it('accepts a scenario with the policy interval and every series it reads', () => {
    expect(rehearsalProblems(canary.policy, scenario(30, ['requests', 'errors', 'latency_p99_ms']))).toEqual(
      [],
    );
  });

  it('names both intervals when they differ', () => {
    const [problem] = rehearsalProblems(
      canary.policy,
      scenario(15, ['requests', 'errors', 'latency_p99_ms']),
    );
    expect(problem).toContain('the policy evaluates every 30 s (evaluation.intervalSeconds)');
    expect(problem).toContain('one value every 15 s (intervalSeconds)');
  });

  it('names the series the scenario lacks', () => {
    expect(rehearsalProblems(canary.policy, scenario(30, ['requests']))).toEqual([
      'the scenario "tiny" has no series "errors", "latency_p99_ms" that the policy reads (it has requests)',
    ]);
  });

  it('watches exactly as long as the scenario lasts, at the given speed', async () => {
    const prepared = await prepareRehearsal(canary, join(SCENARIOS, 'error-step-00.json'), 30);
    expect(prepared.watchSeconds).toBe(40 * 30);
    expect(prepared.speed).toBe(30);
    expect(prepared.scenarioFile).toBe(join(SCENARIOS, 'error-step-00.json'));
    const input = rehearsalInput(prepared, 'rehearsal-1', new Date('2026-01-01T00:00:00Z'));
    expect(input).toMatchObject({
      deployment: {
        deploymentId: 'rehearsal-1',
        service: 'checkout',
        environment: 'production',
        deployedAt: '2026-01-01T00:00:00.000Z',
      },
      policyHash: canary.hash,
      watchSeconds: 1200,
      replay: { scenarioFile: prepared.scenarioFile },
      speed: 30,
    });
    expect(input.deployment.version).not.toBe(input.deployment.previousVersion);
  });

  it('takes the default speed from the scenario interval', async () => {
    const prepared = await prepareRehearsal(canary, join(SCENARIOS, 'healthy-00.json'), defaultSpeed);
    expect(prepared.speed).toBe(30);
  });

  it.each([
    [
      'a missing file',
      () => join(tmpdir(), 'no-such-scenario.json'),
      /cannot read scenario .*: no such file/,
    ],
    [
      'a file that is not a scenario',
      () => {
        const file = join(mkdtempSync(join(tmpdir(), 'ripcord-')), 'bad.json');
        writeFileSync(file, '{"format": "something else"}');
        return file;
      },
      /invalid scenario .*bad\.json/,
    ],
    ['an interval mismatch', () => join(SCENARIOS, 'healthy-01.json'), /every 30 s .* every 15 s/],
  ])('refuses %s as a setup error', async (_what, file, message) => {
    const attempt = prepareRehearsal(canary, file(), 30);
    await expect(attempt).rejects.toBeInstanceOf(RehearsalSetupError);
    await expect(prepareRehearsal(canary, file(), 30)).rejects.toThrow(message);
  });
});

describe('rehearse: pacing', () => {
  it.each([
    ['abc', false],
    ['0', false],
    ['-3', false],
    ['20000', false],
    ['60', true],
    ['0.5', true],
  ])('--speed %s accepted: %p', (value, ok) => {
    if (ok) expect(parseSpeed(value)).toBe(Number(value));
    else expect(() => parseSpeed(value)).toThrow(/expected a number above 0/);
  });

  it('never pretends an interval passes faster than a server timer fires', () => {
    expect(secondsPerInterval(30, 30)).toBe(1);
    expect(secondsPerInterval(30, 120)).toBe(1);
    expect(secondsPerInterval(30, 10)).toBe(3);
  });

  it('polls about once per interval, within bounds', () => {
    expect(rehearsalPollMs(30, 30)).toBe(1000);
    expect(rehearsalPollMs(30, 1000)).toBe(200);
    expect(rehearsalPollMs(30, 1)).toBe(2000);
  });
});

describe('rehearse: what the dry-run target did', () => {
  const scope = { environment: 'production', service: 'checkout', deploymentId: 'rehearsal-1' };
  const other = { ...scope, deploymentId: 'rehearsal-2' };
  const begin = (key: string, index: number, name: string, s = scope): JournalEntry => ({
    kind: 'begin',
    key,
    at: 't',
    scope: s,
    planHash: 'p',
    index,
    name,
    action: { type: 'swap-blue-green' },
    before: [],
  });
  const applied = (key: string, s = scope): JournalEntry => ({
    kind: 'applied',
    key,
    at: 't',
    scope: s,
    after: [],
  });

  it('counts each step of this rehearsal only, and says when one was undone', async () => {
    const entries: JournalEntry[] = [
      begin('k1', 0, 'drain-canary'),
      applied('k1'),
      begin('k2', 1, 'announce'),
      applied('k2'),
      { kind: 'compensated', key: 'k2', at: 't', scope, restored: [] },
      begin('k9', 0, 'drain-canary', other),
      applied('k9', other),
    ];
    const summary = await summariseJournal(
      { view: async () => new JournalView(entries), journalFile: '/tmp/j.jsonl' },
      'rehearsal-1',
    );
    expect(summary.steps).toEqual([
      { index: 0, name: 'drain-canary', applied: 1, compensated: false },
      { index: 1, name: 'announce', applied: 1, compensated: true },
    ]);
    expect(formatJournal(summary)).toEqual([
      'dry-run target (journal /tmp/j.jsonl):',
      '  step 0 drain-canary: applied once',
      '  step 1 announce: applied once, then undone',
    ]);
  });

  it('flags a step applied twice, which must never happen', () => {
    expect(
      formatJournal({
        file: 'j',
        steps: [{ index: 0, name: 'drain-canary', applied: 2, compensated: false }],
      }),
    ).toEqual([
      'dry-run target (journal j):',
      '  step 0 drain-canary: applied 2 times  <-- applied more than once: a bug, please report',
    ]);
    expect(formatJournal({ file: 'j', steps: [] })).toEqual([
      'dry-run target: no step was applied (journal j)',
    ]);
  });
});
