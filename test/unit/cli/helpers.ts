import { resolve } from 'node:path';
import type { GuardianStatus } from '../../../src/model/guardian';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
/** Latency judged on a histogram: its scenarios need buckets (test/fixtures/scenarios/shared-histogram). */
export const CANARY_POLICY = resolve(REPO_ROOT, 'policies', 'examples', 'canary.yaml');
/** The same policy with latency judged on one p99 per interval: what the scenarios in SCENARIOS carry. */
export const P99_POLICY = resolve(REPO_ROOT, 'policies', 'examples', 'canary-p99-only.yaml');
/** Copies of scenarios from the shared set (error-step-00, healthy-00, healthy-01), kept with the tests: p99, no buckets. */
export const SCENARIOS = resolve(__dirname, 'fixtures');

/** A guardian status as the query returns it, with the fields a test does not care about filled in. */
export function status(overrides: Partial<GuardianStatus> = {}): GuardianStatus {
  return {
    workflowId: 'ripcord/production/checkout/d-1',
    deploymentId: 'd-1',
    service: 'checkout',
    environment: 'production',
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

export const PLAN: NonNullable<GuardianStatus['plan']> = {
  planHash: 'sha256:plan1',
  risk: 'high',
  riskReasons: ['canary weight 50% is above 25%'],
  steps: [
    { index: 0, name: 'drain-canary', type: 'shift-traffic', state: 'pending' },
    { index: 1, name: 'announce', type: 'webhook', state: 'pending' },
  ],
};
