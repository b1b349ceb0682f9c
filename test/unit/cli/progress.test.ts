import { describeEnd, progressLines } from '../../../src/client/progress';
import { PLAN, status } from './helpers';

const NOW = new Date('2026-01-01T12:00:00Z');
const watching = status({ phase: 'watch', waiting: { for: 'the next evaluation (every 30 s)' } });

describe('progress lines: one line per change, never one per poll', () => {
  it('starts with the phase and what the guardian waits for', () => {
    expect(progressLines(undefined, watching, NOW)).toEqual([
      'phase watch: waiting for the next evaluation (every 30 s)',
    ]);
  });

  it('prints nothing when only the evaluation count moved on', () => {
    const before = status({
      ...watching,
      evaluations: 3,
      lastVerdict: { index: 2, verdict: 'healthy', reason: 'every signal healthy' },
    });
    const after = status({
      ...before,
      evaluations: 4,
      lastVerdict: { index: 3, verdict: 'healthy', reason: 'every signal healthy' },
    });
    expect(progressLines(before, after, NOW)).toEqual([]);
  });

  it('tells a change of verdict before the phase it leads to', () => {
    const before = status({
      ...watching,
      evaluations: 13,
      lastVerdict: { index: 12, verdict: 'healthy', reason: 'every signal healthy' },
    });
    const after = status({
      ...before,
      phase: 'confirm',
      evaluations: 14,
      lastVerdict: {
        index: 13,
        verdict: 'regressed',
        reason: 'error-rate: breach: confirming on fresh data',
      },
    });
    expect(progressLines(before, after, NOW)).toEqual([
      'verdict regressed at interval 13 (14 evaluation(s)): error-rate: breach: confirming on fresh data',
      'phase confirm: waiting for the next evaluation (every 30 s)',
    ]);
  });

  it('shows the decision, the plan and the gate with its deadline', () => {
    const after = status({
      phase: 'gate',
      decision: {
        decision: 'rollback',
        decidedAtIndex: 15,
        reason: 'error-rate regressed',
        source: 'automatic',
      },
      plan: PLAN,
      waiting: { for: '1 approval(s) from sre', until: '2026-01-01T12:15:00.000Z' },
    });
    expect(progressLines(watching, after, NOW)).toEqual([
      'decision rollback (automatic): error-rate regressed',
      'plan sha256:plan1: risk high (canary weight 50% is above 25%), 2 step(s)',
      'phase gate: waiting for 1 approval(s) from sre until 2026-01-01 12:15:00Z (in 15m)',
    ]);
  });

  it('at the gate, says how to end the wait: who may approve until when, the full plan and the exact command', () => {
    const plan = { ...PLAN, planHash: `sha256:${'ab'.repeat(32)}` };
    const gate = status({
      phase: 'gate',
      plan,
      approvers: { roles: ['sre'], quorum: 1 },
      waiting: { for: '1 approval(s) from sre', until: '2026-01-01T12:15:00.000Z' },
    });
    const lines = progressLines(watching, gate, NOW, 'payments-prod');
    expect(lines.slice(-4)).toEqual([
      '  who may act: sre (1 approval needed), until 2026-01-01 12:15:00Z (in 15m)',
      `  plan ${plan.planHash}`,
      `  run: TEMPORAL_NAMESPACE=payments-prod npx ripcord approve d-1 --service checkout --env production --plan ${plan.planHash} --role sre`,
      '  (sign it: add --key <private JWK> --as <your name>, or pass --token <jws> (or set RIPCORD_TOKEN); to refuse the plan, run it with reject instead of approve)',
    ]);
    // Said once, not again on every poll of the same wait.
    expect(progressLines(gate, status({ ...gate, evaluations: 1 }), NOW, 'payments-prod')).toEqual([]);
  });

  it('escalated: the exact rollback and abort commands', () => {
    const escalated = status({
      phase: 'escalated',
      approvers: { roles: ['sre', 'payments-owner'], quorum: 1 },
      waiting: { for: 'a person: ripcord rollback or ripcord abort', until: '2026-01-01T13:00:00.000Z' },
    });
    const lines = progressLines(watching, escalated, NOW);
    expect(lines).toContain(
      '  run: npx ripcord rollback d-1 --service checkout --env production --role <one of sre, payments-owner> --reason "<why>"',
    );
    expect(lines).toContain(
      '  run: npx ripcord abort d-1 --service checkout --env production --role <one of sre, payments-owner> --reason "<why>"',
    );
  });

  it('reports approvals and each step as its state changes, not again while it stays', () => {
    const gate = status({ phase: 'gate', plan: PLAN });
    const approved = status({
      ...gate,
      approvals: [{ subject: 'alice', role: 'sre', at: NOW.toISOString(), planHash: PLAN.planHash }],
    });
    expect(progressLines(gate, approved, NOW)).toEqual(['approved by alice (sre)']);

    const running = status({
      ...approved,
      phase: 'execute',
      waiting: { for: 'step 0 (drain-canary)' },
      plan: { ...PLAN, steps: [{ ...PLAN.steps[0]!, state: 'running' }, PLAN.steps[1]!] },
    });
    expect(progressLines(approved, running, NOW)).toEqual([
      'step 0 drain-canary (shift-traffic): running',
      'phase execute: waiting for step 0 (drain-canary)',
    ]);
    expect(progressLines(running, running, NOW)).toEqual([]);

    const done = status({
      ...running,
      waiting: { for: 'step 1 (announce)' },
      plan: {
        ...PLAN,
        steps: [
          { ...PLAN.steps[0]!, state: 'done', detail: 'canary weight 0%' },
          { ...PLAN.steps[1]!, state: 'running' },
        ],
      },
    });
    expect(progressLines(running, done, NOW)).toEqual([
      'step 0 drain-canary (shift-traffic): done — canary weight 0%',
      'step 1 announce (webhook): running',
      'waiting for step 1 (announce)',
    ]);
  });

  it('says when an operator pauses and resumes', () => {
    const paused = status({ ...watching, paused: true });
    expect(progressLines(watching, paused, NOW)).toEqual([
      'paused by an operator: no evaluation until resumed',
    ]);
    expect(progressLines(paused, watching, NOW)).toEqual(['resumed']);
  });

  it('leaves the close to the outcome line', () => {
    const closed = status({ phase: 'close', outcome: 'promoted', reason: 'the watch ended' });
    expect(progressLines(watching, closed, NOW)).toEqual([]);
    expect(describeEnd({ kind: 'outcome', outcome: 'promoted', reason: 'the watch ended' })).toBe(
      'outcome: promoted: the watch ended',
    );
    expect(describeEnd({ kind: 'stopped', how: 'terminated', message: 'by hand' })).toBe(
      'the guardian was terminated: by hand',
    );
  });
});
