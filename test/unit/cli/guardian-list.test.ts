import {
  formatEvidence,
  formatGuardianRows,
  formatWait,
  glanceOf,
  mapBounded,
  type GuardianGlance,
} from '../../../src/cli/guardian-list';
import type { GuardianRow } from '../../../src/client/guardians';
import { status } from './helpers';

const NOW = new Date('2026-01-01T12:00:00Z');

const row: GuardianRow = {
  workflowId: 'ripcord/production/checkout/d-1',
  deploymentId: 'd-1',
  service: 'checkout',
  environment: 'production',
  version: '2.0.0',
  phase: 'watch',
  outcome: '',
  status: 'RUNNING',
  startTime: new Date('2026-01-01T11:50:00Z'),
};

const signal = (name: string, eValue: number, threshold: number) => ({
  signal: name,
  verdict: 'healthy' as const,
  phase: 'watching' as const,
  reason: '',
  eValue,
  threshold,
});

describe('ripcord list at a glance', () => {
  it('picks the signal closest to its threshold and the time left in the wait', () => {
    const glance = glanceOf(
      status({
        phase: 'gate',
        lastVerdict: { index: 9, verdict: 'regressed', reason: 'error-rate: breach' },
        signals: [signal('latency-p99', 150, 400), signal('error-rate', 90, 200)],
        waiting: { for: '1 approval(s) from sre', until: '2026-01-01T12:04:30Z' },
      }),
      NOW,
    );
    expect(glance).toMatchObject({
      answered: true,
      phase: 'gate',
      verdict: 'regressed',
      evidence: { signal: 'error-rate', eValue: 90, threshold: 200 },
      wait: { label: 'approval', secondsLeft: 270 },
    });
    expect(formatEvidence(glance)).toBe('error-rate 45% of needed');
    expect(formatWait(glance)).toBe('approval 4m 30s');
  });

  it('a wait without a deadline shows what it waits for; a past deadline is due', () => {
    const watching = glanceOf(
      status({ phase: 'watch', waiting: { for: 'the next evaluation (every 30 s)' } }),
      NOW,
    );
    expect(formatWait(watching)).toBe('next eval');
    const late = glanceOf(
      status({ phase: 'verify', waiting: { for: 'health', until: '2026-01-01T11:59:00Z' } }),
      NOW,
    );
    expect(formatWait(late)).toBe('recovery due');
    expect(formatEvidence(watching)).toBe('-');
  });

  it("a guardian that did not answer shows '?' and the row is still printed", () => {
    const silent: GuardianGlance = { answered: false, error: 'deadline exceeded' };
    const glances = new Map([[row.workflowId, silent]]);
    const [header, line] = formatGuardianRows([row], { all: false, glances });
    expect(header).toMatch(/PHASE +VERDICT +EVIDENCE +WAIT +OUTCOME/);
    expect(line).toMatch(/^d-1 +checkout +production +2\.0\.0 +watch +\? +\? +\? +- +2026-01-01 11:50:00Z$/);
  });

  it('an answering guardian fills the columns, its own phase over the search attribute', () => {
    const glance = glanceOf(
      status({
        phase: 'confirm',
        lastVerdict: { index: 3, verdict: 'regressed', reason: '' },
        signals: [signal('error-rate', 123456, 200)],
        waiting: { for: 'the next evaluation (every 30 s)', until: '2026-01-01T12:00:32Z' },
      }),
      NOW,
    );
    const [, line] = formatGuardianRows([row], { all: false, glances: new Map([[row.workflowId, glance]]) });
    expect(line).toContain('confirm  regressed  error-rate 617× needed  confirm 32s  -');
  });

  it('runs at most the given number of queries at once, keeping the order', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapBounded([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3, async (n) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight -= 1;
      return n * 2;
    });
    expect(results).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    expect(most).toBe(3);
  });
});
