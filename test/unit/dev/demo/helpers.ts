import type { GuardianStatus, SignalStatus, StepStatus } from '../../../../src/model/guardian';

/** A guardian status as the query returns it, with the fields a test does not care about filled in. */
export function status(overrides: Partial<GuardianStatus> = {}): GuardianStatus {
  return {
    workflowId: 'ripcord/demo/checkout/demo-1',
    deploymentId: 'demo-1',
    service: 'checkout',
    environment: 'demo',
    version: '2.0.0',
    policyHash: 'sha256:aaaa',
    mode: 'auto',
    phase: 'watch',
    paused: false,
    evaluations: 0,
    signals: [],
    approvals: [],
    continuedAsNew: 0,
    ...overrides,
  };
}

export function signal(
  name: string,
  phase: SignalStatus['phase'],
  reason = 'no evidence of a regression',
): SignalStatus {
  return {
    signal: name,
    verdict: phase === 'watching' ? 'healthy' : 'regressed',
    phase,
    reason,
    eValue: phase === 'watching' ? 0.2 : 31,
    threshold: 10,
  };
}

export function plan(states: StepStatus['state'][]): NonNullable<GuardianStatus['plan']> {
  const names = ['drain-canary', 'revert-canary-artifact', 'tell-deploy-system'];
  const types = ['shift-traffic', 'revert-artifact', 'webhook'];
  return {
    planHash: 'sha256:plan1',
    risk: 'normal',
    riskReasons: [],
    steps: states.map((state, index) => ({ index, name: names[index]!, type: types[index]!, state })),
  };
}

/** A clock for tests: `at(12.5)` is 12.5 s after a fixed start. */
export const START = Date.parse('2026-01-01T10:00:00Z');
export function at(seconds: number): Date {
  return new Date(START + seconds * 1000);
}
