import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { AuditRecord } from '../../../src/model/audit';
import type { GuardianActivityContract, NotifyInput } from '../../../src/model/activity-contract';
import type { PlannedStep, RollbackPlan } from '../../../src/model/plan';
import { PERMANENT_STEP_ERROR } from '../../../src/model/plan';
import type { Client } from '@temporalio/client';
import { readHealthInterval } from '../../../src/activities/health';
import { rollbackLockMember } from '../../../src/activities/rollback-turn';
import type { Observation } from '../../../src/decision';

/** Per-interval health the fake source serves: a function of the interval index. */
export type HealthScript = (index: number) => Observation;

export interface FakeOptions {
  health: HealthScript;
  /** Plan risk the fake planner reports. */
  risk?: 'normal' | 'high';
  /** Step index that fails permanently. */
  failStep?: number;
  /** Roles the fake authoriser accepts. */
  roles?: string[];
  /** The previous version is broken too: once traffic is drained to it, its errors stay high. */
  baselineBadAfterDrain?: boolean;
  /** Workflow ids the fake Temporal confirms as newer guardians of the same service (supersede). */
  newerGuardians?: string[];
  /** Audit records of this kind take this long to store (real time): work overlapped with them shows. */
  slowAudit?: { kind: string; ms: number };
}

/**
 * In-memory activities for the time-skipping tier: they record what the
 * guardian asked for, so tests assert on effects (steps applied once, undone in
 * reverse, audit trail) rather than on internals.
 */
export class FakeWorld {
  readonly applied: string[] = [];
  readonly compensated: string[] = [];
  readonly audit: AuditRecord[] = [];
  readonly notifications: NotifyInput[] = [];
  readonly healthReads: number[] = [];
  /** The audit trail's kinds when the first step started (bookkeeping overlaps work, never a step). */
  auditBeforeFirstStep?: string[];
  readonly superseded: string[] = [];
  plans = 0;

  constructor(private readonly options: FakeOptions) {}

  /** `client`: the test server's, for the lock's membership check (the real activity, asked of the test server). */
  activities(client?: Client): GuardianActivityContract {
    const o = this.options;
    const activities: Omit<GuardianActivityContract, 'readHealthInterval'> = {
      // The fake authoriser trusts claims, like a worker started with --insecure-claims.
      admitDeployment: async () => ({ admittedAt: '2026-01-01T00:00:00.000Z', tokensRequired: false }),
      supersedeOlderGuardians: async () => ({ superseded: [] }),
      // The fake world's Temporal: a newer guardian is one whose id the test lists in `newerGuardians`.
      verifySupersede: async ({ by }) =>
        (o.newerGuardians ?? []).includes(by)
          ? { genuine: true, reason: `${by} is a newer guardian` }
          : { genuine: false, reason: `no running guardian ${by}` },
      confirmRollbackTurn: async () => ({ granted: true, reason: 'the fake lock always agrees' }),
      rollbackLockMember: rollbackLockMember(client),
      evaluateHealth: async ({ index }) => {
        this.healthReads.push(index);
        const observation = o.health(index);
        // Once traffic has been drained (and not given back) the canary serves nothing.
        const drained = this.applied.length > this.compensated.length;
        if (!drained) return observation;
        const drainedView = Object.fromEntries(
          Object.entries(observation).map(([name, r]) => [
            name,
            { baseline: r?.baseline ?? null, canary: null },
          ]),
        );
        if (o.baselineBadAfterDrain) drainedView.errors = { baseline: 60, canary: null };
        return drainedView;
      },
      buildRollbackPlan: async ({ policy, policyHash, deployment, trigger, strongEvidence }) => {
        this.plans += 1;
        const steps: PlannedStep[] = policy.plan.steps.map((s, index) => ({
          index,
          name: s.name,
          idempotencyKey: `${deployment.deploymentId}/${index}`,
          action:
            s.type === 'shift-traffic'
              ? {
                  type: 'shift-traffic',
                  weights: strongEvidence ? [0] : (s.weights ?? [0]),
                  pauseSeconds: s.pauseSeconds,
                }
              : { type: 'swap-blue-green' },
          timeoutSeconds: s.timeoutSeconds,
          retries: { maxAttempts: 2, initialSeconds: 1, multiplier: 2, maxSeconds: 2 },
          verify: {
            targetState: true,
            signals: s.verify.signals,
            settleSeconds: s.verify.settleSeconds,
            timeoutSeconds: s.verify.timeoutSeconds,
          },
          irreversible: s.type === 'down-migration' && !s.reversible,
        }));
        const body = { policyHash, deploymentId: deployment.deploymentId, trigger, steps };
        const plan: RollbackPlan = {
          planHash: `sha256:${createHash('sha256').update(JSON.stringify(body)).digest('hex')}`,
          policyHash,
          deploymentId: deployment.deploymentId,
          createdAt: new Date().toISOString(),
          trigger,
          risk: o.risk ?? 'normal',
          riskReasons: o.risk === 'high' ? ['test says so'] : [],
          changes: [],
          steps,
        };
        return plan;
      },
      executeStep: async ({ step }) => {
        this.auditBeforeFirstStep ??= this.audit.map((r) => r.kind);
        if (step.index === o.failStep) {
          throw ApplicationFailure.nonRetryable(`target refused step ${step.index}`, PERMANENT_STEP_ERROR);
        }
        if (!this.applied.includes(step.idempotencyKey)) this.applied.push(step.idempotencyKey);
        return { applied: true, verified: `step ${step.index} in place` };
      },
      compensateStep: async ({ step }) => {
        this.compensated.push(step.idempotencyKey);
        return { compensated: true, detail: `step ${step.index} undone` };
      },
      authorizeAction: async ({ request, deployment, action }) => {
        const roles = o.roles ?? ['sre'];
        if (!roles.includes(request.role)) {
          return {
            authorized: false,
            subject: request.actor,
            role: request.role,
            reason: `role ${request.role} may not ${action}`,
          };
        }
        if (action === 'approve' && request.actor === deployment.deployer) {
          return {
            authorized: false,
            subject: request.actor,
            role: request.role,
            reason: 'the deployer may not approve',
          };
        }
        return { authorized: true, subject: request.actor, role: request.role, reason: 'ok' };
      },
      recordAudit: async (record) => {
        if (o.slowAudit?.kind === record.kind) await new Promise((r) => setTimeout(r, o.slowAudit!.ms));
        if (!this.audit.some((r) => r.id === record.id)) this.audit.push(record);
        const seq = this.audit.findIndex((r) => r.id === record.id);
        return { seq, hash: `sha256:fake-${seq}` };
      },
      notify: async (input) => {
        this.notifications.push(input);
      },
      // Releases are tested on the real dev server (test/integration/releases.test.ts), not in this tier.
      readReleaseInterval: async () => {
        throw new Error('releases are not run in the time-skipping tier');
      },
      buildReleasePlan: async () => {
        throw new Error('releases are not run in the time-skipping tier');
      },
      confirmMemberOrder: async () => ({ seq: 0, order: { kind: 'none' }, reason: 'no release here' }),
    };
    // The guardian reads health as a local activity, which wraps the same read, as the worker's does.
    return { ...activities, readHealthInterval: readHealthInterval(activities.evaluateHealth) };
  }
}

// ---- health scripts ------------------------------------------------------------

const REQUESTS = 600;

function reading(
  baselineErrors: number,
  canaryErrors: number,
  canaryP99 = 300,
  baselineP99 = 300,
): Observation {
  return {
    requests: { baseline: REQUESTS, canary: REQUESTS },
    errors: { baseline: baselineErrors, canary: canaryErrors },
    latency_p99_ms: { baseline: baselineP99, canary: canaryP99 },
  };
}

/** A deterministic wobble around 0.5% errors in both groups. */
function noise(index: number, salt: number): number {
  return 2 + ((index * 7 + salt * 3) % 4);
}

export const healthy: HealthScript = (i) =>
  reading(noise(i, 1), noise(i, 2), 290 + (i % 5) * 5, 295 + (i % 3) * 5);

/** Canary errors ×10 from `onset` on; after `recoverAt` (the rollback) both groups are healthy again. */
export function regression(onset: number, recoverAt = Number.POSITIVE_INFINITY): HealthScript {
  return (i) => (i >= onset && i < recoverAt ? reading(noise(i, 1), 40 + (i % 3), 300) : healthy(i));
}

/** A spike in the canary for `length` intervals, then nothing. */
export function transient(start: number, length: number): HealthScript {
  return (i) => (i >= start && i < start + length ? reading(noise(i, 1), 45) : healthy(i));
}
