import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildRollbackPlan } from '../../../src/activities/plan/build';
import type { AuditCommon, AuditDetailsByKind, AuditKind, AuditRecord } from '../../../src/model/audit';
import type { PlannedStep, RollbackPlan } from '../../../src/model/plan';
import type { Observation } from '../../../src/decision';
import { parsePolicyText } from '../../../src/policy';
import type { ActivityCall, GuardianHistory } from '../../../src/report/history';
import { decisionConfigFromPolicy } from '../../../src/policy/decision-config';
import { parseScenarioText } from '../../../src/simulate/scenario-files';
import { simulateScenario } from '../../../src/simulate/simulate';
import type { GuardianInput } from '../../../src/model/guardian';

/**
 * A guardian's decoded history built by hand, the way the guardian writes it:
 * the canary example policy (its p99 variant, which error-step-00's data fits), error-step-00 replayed one interval per second,
 * the decision where the decision core takes it, a plan, its steps, the audit
 * records. Tests change what they need.
 */
const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const POLICY_FILE = resolve(REPO_ROOT, 'policies', 'examples', 'canary-p99-only.yaml');
const SCENARIO_FILE = resolve(REPO_ROOT, 'test', 'unit', 'cli', 'fixtures', 'error-step-00.json');

export const loaded = parsePolicyText(readFileSync(POLICY_FILE, 'utf8'), { filename: POLICY_FILE });
export const scenario = parseScenarioText(readFileSync(SCENARIO_FILE, 'utf8'), SCENARIO_FILE);
export const WORKFLOW_ID = 'ripcord/production/checkout/build-481';
const DEPLOYED = Date.parse('2026-03-01T12:00:00.000Z');

/** Seconds after the deploy, as an ISO time. */
export const t = (seconds: number) => new Date(DEPLOYED + seconds * 1000).toISOString();

export function observationAt(index: number): Observation {
  const out: Record<string, { baseline: number | null; canary: number | null }> = {};
  for (const [name, s] of Object.entries(scenario.series)) {
    out[name] = { baseline: s.baseline[index] ?? null, canary: s.canary[index] ?? null };
  }
  return out;
}

export const input: GuardianInput = {
  deployment: {
    deploymentId: 'build-481',
    service: 'checkout',
    environment: 'production',
    version: '2.0.0',
    previousVersion: '1.9.0',
    deployer: 'ci-bot',
    deployedAt: t(0),
  },
  policy: loaded.policy,
  policyHash: loaded.hash,
};

/** Where the decision core decides on error-step-00 with this policy (whatever version of the core runs). */
export const decidedAtIndex = (() => {
  const run = simulateScenario(decisionConfigFromPolicy(loaded.policy), scenario);
  if (run.result.decision !== 'rollback' || run.result.decidedAtIndex === null)
    throw new Error('fixture: error-step-00 no longer rolls back under the canary policy');
  return run.result.decidedAtIndex;
})();

/** A record of one kind, with that kind's typed details, as the guardian writes it. */
export function auditRecord<K extends AuditKind>(
  seq: number,
  at: string,
  kind: K,
  summary: string,
  details: AuditDetailsByKind[K],
  extra: Partial<AuditCommon> = {},
): AuditRecord {
  return {
    id: `${WORKFLOW_ID}#${seq}`,
    at,
    workflowId: WORKFLOW_ID,
    deploymentId: 'build-481',
    service: 'checkout',
    environment: 'production',
    policyHash: loaded.hash,
    kind,
    actor: 'ripcord',
    summary,
    details,
    ...extra,
  } as AuditRecord;
}

const audit = (record: AuditRecord): ActivityCall => ({
  type: 'recordAudit',
  scheduledAt: record.at,
  closedAt: record.at,
  state: 'completed',
  input: record,
});

export async function rolledBackPlan(): Promise<RollbackPlan> {
  return buildRollbackPlan(() => new Date(t(decidedAtIndex + 1)))({
    deployment: input.deployment,
    policy: loaded.policy,
    policyHash: loaded.hash,
    decision: { decision: 'rollback', decidedAtIndex, reason: 'error-rate regressed', signal: 'error-rate' },
    trigger: 'automatic',
    elapsedSeconds: (decidedAtIndex + 1) * 30,
    strongEvidence: false,
  });
}

/** The whole story of a rolled-back deployment. */
export async function rolledBackHistory(): Promise<{ history: GuardianHistory; records: AuditRecord[] }> {
  const plan = await rolledBackPlan();
  const d = decidedAtIndex;
  const calls: ActivityCall[] = [];
  const records: AuditRecord[] = [];
  const record = (r: AuditRecord) => {
    records.push(r);
    calls.push(audit(r));
  };
  record(
    auditRecord(
      0,
      t(0.5),
      'admitted',
      'guarding checkout 2.0.0 (mode auto)',
      { version: '2.0.0', mode: 'auto', superseded: [] },
      { actor: 'ci-bot' },
    ),
  );
  for (let i = 0; i <= d; i++) {
    calls.push({
      type: 'evaluateHealth',
      scheduledAt: t(i + 1),
      closedAt: t(i + 1.1),
      state: 'completed',
      input: { index: i },
      result: observationAt(i),
    });
  }
  record(
    auditRecord(
      1,
      t(d + 1.2),
      'decision',
      'rollback: error-rate regressed: regression confirmed on data after the breach',
      {
        decision: 'rollback',
        source: 'automatic',
        cause: 'regression',
        reason: 'error-rate regressed: regression confirmed on data after the breach',
        decidedAtIndex: d,
        signal: 'error-rate',
        evidence: [
          {
            signal: 'error-rate',
            verdict: 'regressed',
            phase: 'confirmed',
            reason: 'regression confirmed',
            eValue: 58700,
            threshold: 10,
          },
          {
            signal: 'latency-p99',
            verdict: 'healthy',
            phase: 'watching',
            reason: 'no evidence',
            eValue: 0.001,
            threshold: 10,
          },
        ],
      },
    ),
  );
  calls.push({
    type: 'buildRollbackPlan',
    scheduledAt: t(d + 1.3),
    closedAt: t(d + 1.4),
    state: 'completed',
    result: plan,
  });
  record(
    auditRecord(
      2,
      t(d + 1.5),
      'plan',
      `plan ${plan.planHash}: 2 step(s), risk normal`,
      {
        trigger: plan.trigger,
        risk: plan.risk,
        riskReasons: plan.riskReasons,
        changes: plan.changes,
        steps: plan.steps.length,
      },
      { planHash: plan.planHash },
    ),
  );
  const step = (s: PlannedStep, at: number, verified: string) => {
    calls.push({
      type: 'executeStep',
      scheduledAt: t(at),
      startedAt: t(at),
      closedAt: t(at + 1),
      attempt: s.index === 0 ? 2 : 1,
      state: 'completed',
      input: { deployment: input.deployment, planHash: plan.planHash, step: s },
      result: { applied: true, verified },
    });
    record(
      auditRecord(
        records.length,
        t(at + 1.1),
        'step',
        `step ${s.index} (${s.name}) done: ${verified}`,
        {
          index: s.index,
          name: s.name,
          type: s.action.type,
          state: 'done',
          verified,
          idempotencyKey: s.idempotencyKey,
        },
        { planHash: plan.planHash },
      ),
    );
  };
  step(plan.steps[0]!, d + 2, 'canary weight 0%');
  step(plan.steps[1]!, d + 4, 'POST recorded');
  calls.push({
    type: 'evaluateHealth',
    scheduledAt: t(d + 6),
    closedAt: t(d + 6.1),
    state: 'completed',
    input: { index: d + 1 },
    result: observationAt(d + 1),
  });
  record(
    auditRecord(
      records.length,
      t(d + 6.2),
      'recovery',
      'error-rate: 0.008 within 0.01',
      { recovered: true, detail: 'error-rate: 0.008 within 0.01' },
      { planHash: plan.planHash },
    ),
  );
  record(
    auditRecord(
      records.length,
      t(d + 6.3),
      'outcome',
      'rolled-back: rolled back to 1.9.0',
      { outcome: 'rolled-back', reason: 'recovered' },
      { planHash: plan.planHash },
    ),
  );
  const history: GuardianHistory = {
    workflowId: WORKFLOW_ID,
    runs: [
      {
        runId: 'run-1',
        startedAt: t(0.2),
        input,
        calls,
        end: {
          kind: 'completed',
          at: t(d + 6.5),
          result: {
            outcome: 'rolled-back',
            reason: 'rolled back to 1.9.0; error-rate: 0.008 within 0.01',
            evaluations: d + 1,
            decision: {
              decision: 'rollback',
              decidedAtIndex: d,
              reason: 'error-rate regressed: regression confirmed on data after the breach',
              signal: 'error-rate',
              source: 'automatic',
            },
            planHash: plan.planHash,
          },
        },
      },
    ],
  };
  return { history, records };
}
