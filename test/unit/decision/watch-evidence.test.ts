import {
  evaluateInterval,
  finishWatch,
  initialDecisionState,
  watchEvidence,
  type DecisionState,
  type Observation,
} from '../../../src/decision';
import { ERROR_RATE, LATENCY, config, counts, run } from './support';

/** Every series the policy reads failed, as when Prometheus refuses a request without its token. */
function failed(...series: string[]): Observation {
  return Object.fromEntries(
    series.map((name) => [name, { canary: null, baseline: null, error: 'HTTP 401 from prometheus-main' }]),
  );
}

const healthy = counts([10, 1000], [10, 1000]);
const latencyOk: Observation = {
  ...healthy,
  latency_p99_ms: { canary: 200, baseline: 200 },
};

describe('no promotion without evidence (the end of the watch)', () => {
  it('a watch whose only reading was an error escalates and says so, per signal', () => {
    const result = run(config({ signals: [ERROR_RATE, LATENCY] }), [
      failed('errors', 'requests', 'latency_p99_ms'),
    ]);
    expect(result.decision.decision).toBe('escalate');
    // Why, as a code for programs: the reason below is for people.
    expect(result.decision.cause).toBe('no-evidence');
    expect(result.decision.reason).toBe(
      'the watch ended without evidence of health: ' +
        'no usable health data for error-rate (1 of 1 interval(s) failed to read); ' +
        'no usable health data for latency-p99 (1 of 1 interval(s) failed to read)',
    );
  });

  it('counts failed and empty intervals apart', () => {
    const result = run(config(), [failed('errors', 'requests'), counts(null, null), failed('requests')]);
    expect(result.decision).toMatchObject({
      decision: 'escalate',
      decidedAtIndex: 2,
      signal: 'error-rate',
      reason:
        'the watch ended without evidence of health: no usable health data for error-rate ' +
        '(2 of 3 interval(s) failed to read, 1 of 3 had no data)',
    });
  });

  it('a watch too short for the minimum traffic escalates, naming the traffic seen and needed', () => {
    const result = run(config(), [counts([0, 40], [0, 55])]);
    expect(result.decision.decision).toBe('escalate');
    expect(result.decision.reason).toContain(
      'too little traffic for error-rate (canary 40, baseline 55 over 1 usable of 1 interval(s); 100 per group needed)',
    );
  });

  it('a watch that ends within the warm-up has judged nothing, so it escalates', () => {
    const result = run(config({ warmupSeconds: 120 }), [healthy, healthy]);
    expect(result.decision.decision).toBe('escalate');
    expect(result.decision.reason).toContain('the watch ended within the warm-up');
  });

  it('names only the signal that lacked data', () => {
    const noLatency = { ...healthy, latency_p99_ms: { canary: null, baseline: null } };
    const result = run(config({ signals: [ERROR_RATE, LATENCY] }), [noLatency, noLatency, noLatency]);
    expect(result.decision).toMatchObject({ decision: 'escalate', signal: 'latency-p99' });
    expect(result.decision.reason).not.toContain('error-rate');
  });

  it('a healthy watch with enough traffic on every signal still promotes', () => {
    const result = run(config({ signals: [ERROR_RATE, LATENCY] }), [latencyOk, latencyOk, latencyOk]);
    expect(result.decision).toEqual({
      decision: 'no-rollback',
      decidedAtIndex: null,
      reason: 'no confirmed regression during the watch',
      cause: 'healthy',
    });
  });

  it('an outage after the signals had their evidence is the inconclusive limit’s to judge, not the end’s', () => {
    const outage = failed('errors', 'requests');
    const result = run(config({ maxInconclusiveSeconds: 900 }), [healthy, healthy, outage, outage]);
    expect(result.decision.decision).toBe('no-rollback');
  });

  it('the rule before it (promoteWithoutEvidence) still promotes, for guardians that decided with it', () => {
    const result = run(config({ promoteWithoutEvidence: true }), [failed('errors', 'requests')]);
    expect(result.decision.decision).toBe('no-rollback');
  });

  it('a state carried from before failed reads were counted still escalates, without the split', () => {
    const cfg = config();
    let state: DecisionState = initialDecisionState(cfg);
    state = evaluateInterval(cfg, state, failed('errors', 'requests')).state;
    state = evaluateInterval(cfg, state, failed('errors', 'requests')).state;
    const carried = JSON.parse(JSON.stringify(state)) as DecisionState;
    for (const s of carried.signals) delete s.errorIntervals;
    expect(watchEvidence(cfg, carried)[0]).toMatchObject({ enough: false, evaluated: 2, usable: 0 });
    expect(finishWatch(cfg, carried).reason).toContain(
      'no usable health data for error-rate (none of 2 interval(s) had usable data)',
    );
  });
});
