import { progressLines } from '../../../src/client/progress';
import { evidenceShort, evidenceWords } from '../../../src/model/evidence-words';
import type { GuardianStatus, SignalStatus } from '../../../src/model/guardian';

// Evidence a person can read (issue 17): "3.4× the evidence needed", not e=34/10.

describe('evidence in words', () => {
  test.each([
    [34, 10, '3.4× the evidence needed', '3.4× needed'],
    [10, 10, '1× the evidence needed', '1× needed'],
    [5_870, 10, '587× the evidence needed', '587× needed'],
    [58_700, 10, 'over 1000× the evidence needed', 'over 1000× needed'],
    [2.36e43, 10, 'over 1000× the evidence needed', 'over 1000× needed'],
    [Infinity, 10, '∞× the evidence needed', '∞× needed'],
    [3.4, 10, 'evidence 34% of what a rollback needs', '34% of needed'],
    [9.99, 10, 'evidence 99% of what a rollback needs', '99% of needed'],
    [0.05, 10, 'evidence <1% of what a rollback needs', '<1% of needed'],
    [0, 10, 'evidence 0% of what a rollback needs', '0% of needed'],
    [3, 0, 'e-value 3 (no breach level)', 'e 3'],
  ])('e-value %p against %p reads "%s"', (eValue, threshold, words, short) => {
    expect(evidenceWords({ eValue, threshold })).toBe(words);
    expect(evidenceShort({ eValue, threshold })).toBe(short);
  });

  test('never reads as enough before it is: 99.6% stays below 100%', () => {
    expect(evidenceWords({ eValue: 9.96, threshold: 10 })).toBe('evidence 99% of what a rollback needs');
  });
});

describe('guard --wait progress', () => {
  const signal = (name: string, phase: SignalStatus['phase'], eValue: number): SignalStatus => ({
    signal: name,
    verdict: phase === 'watching' ? 'healthy' : 'regressed',
    phase,
    reason: phase === 'watching' ? 'no evidence' : 'breach: confirming on fresh data',
    eValue,
    threshold: 10,
  });
  const base: GuardianStatus = {
    workflowId: 'ripcord/production/checkout/d-1',
    deploymentId: 'd-1',
    service: 'checkout',
    environment: 'production',
    version: '2.0.0',
    policyHash: 'sha256:aaaa',
    mode: 'auto',
    phase: 'watch',
    paused: false,
    evaluations: 13,
    signals: [signal('error-rate', 'watching', 0.4), signal('latency-p99', 'watching', 0.2)],
    approvals: [],
    continuedAsNew: 0,
    lastVerdict: { index: 12, verdict: 'healthy', reason: 'every signal healthy' },
  };

  test('a breach says how much evidence it has, in words, for the signals in breach only', () => {
    const next: GuardianStatus = {
      ...base,
      evaluations: 14,
      signals: [signal('error-rate', 'confirming', 34), signal('latency-p99', 'watching', 0.2)],
      lastVerdict: {
        index: 13,
        verdict: 'regressed',
        reason: 'error-rate: breach: confirming on fresh data',
      },
    };
    const [line] = progressLines(base, next, new Date('2026-01-01T12:00:00Z'));
    expect(line).toBe(
      'verdict regressed at interval 13 (14 evaluation(s)): error-rate: breach: confirming on fresh data; ' +
        'error-rate: 3.4× the evidence needed',
    );
    expect(line).not.toMatch(/e=|\/10/);
  });
});
