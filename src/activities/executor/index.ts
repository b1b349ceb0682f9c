import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TargetRegistry } from '../../targets';
import type { ActionTokenVerifier } from '../../security/action-token-types';
import type { AuditRecordOf } from '../../model/audit';
import {
  type CompensationOutcome,
  PERMANENT_STEP_ERROR,
  type StepInput,
  type StepOutcome,
} from '../../model/plan';
import type { AuditSink } from '../audit';
import { activityLog, currentContext } from '../activity-context';
import { type Caller, type CheckContext, checkStep, StepRefusedError } from './checks';
import { type ExecutorHistory, temporalExecutorHistory } from './history';

export { StepRefusedError, checkStep, type Caller, type ExecutorCheckDeps } from './checks';
export {
  type ExecutorHistory,
  type ExecutorRun,
  temporalExecutorHistory,
  EXECUTOR_SELECTION,
} from './history';

/** What the execute plane checks with: its own client, keys, environment, targets and audit trail. */
export interface ExecutorDeps {
  /** The executor's own Temporal client: it reads the guardian's history itself. */
  client: Client;
  /** The executor's own trusted approval keys; without them every high-risk plan is refused. */
  tokens?: ActionTokenVerifier;
  /** The one environment this executor serves. */
  environment: string;
  targets: TargetRegistry;
  /** The executor's own audit sink: refusals are recorded there. */
  audit: AuditSink;
  now: () => Date;
  /** Where histories are read (tests); default: Temporal through `client`, read afresh for every step call. */
  history?: () => ExecutorHistory;
}

/** The step activities the checks guard (the plain ones from src/activities/steps.ts). */
export interface StepActivities {
  executeStep(input: StepInput): Promise<StepOutcome>;
  compensateStep(input: StepInput): Promise<CompensationOutcome>;
}

type StepActivityName = keyof StepActivities;

/**
 * The execute plane's step activities: each call is checked first (checks.ts)
 * and runs the inner activity only when every check holds. A refused call
 * fails for good (non-retryable PERMANENT_STEP_ERROR naming the check; the
 * guardian compensates and escalates as for any permanent step failure),
 * after the executor wrote a `step-refused` record to its own audit trail.
 * Nothing reaches a target before the checks passed.
 */
export function checkedStepActivities(inner: StepActivities, deps: ExecutorDeps): StepActivities {
  const guarded =
    <K extends StepActivityName>(name: K) =>
    async (input: StepInput): Promise<Awaited<ReturnType<StepActivities[K]>>> => {
      const context: CheckContext = {};
      const history = deps.history?.() ?? temporalExecutorHistory(deps.client);
      try {
        await checkStep(input, callerOf(), history, deps, context);
      } catch (error) {
        if (!(error instanceof StepRefusedError)) throw error;
        await auditRefusal(deps, name, input, error, context);
        throw ApplicationFailure.create({
          message: error.message,
          type: PERMANENT_STEP_ERROR,
          nonRetryable: true,
          details: [{ check: error.check, reason: error.reason }],
        });
      }
      return (await inner[name](input)) as Awaited<ReturnType<StepActivities[K]>>;
    };
  return { executeStep: guarded('executeStep'), compensateStep: guarded('compensateStep') };
}

/** The workflow that scheduled the running activity, as Temporal told the worker. */
function callerOf(): Caller | undefined {
  const info = currentContext()?.info;
  const execution = info?.workflowExecution;
  if (info === undefined || execution === undefined) return undefined;
  return {
    workflowId: execution.workflowId,
    runId: execution.runId,
    ...(info.workflowType !== undefined ? { workflowType: info.workflowType } : {}),
  };
}

/**
 * The refusal in the executor's own trail. A trail that cannot be written
 * fails the call with a retryable error: the step still does not run, and the
 * next attempt refuses (and records) again.
 */
async function auditRefusal(
  deps: ExecutorDeps,
  activity: StepActivityName,
  input: StepInput,
  refusal: StepRefusedError,
  context: CheckContext,
): Promise<void> {
  const info = currentContext()?.info;
  const caller = callerOf();
  const workflowId = caller?.workflowId ?? '';
  const claimed = (input as Partial<StepInput> | undefined)?.deployment;
  const index = (input as Partial<StepInput> | undefined)?.step?.index;
  const planHash = typeof input?.planHash === 'string' ? input.planHash : '';
  const record: AuditRecordOf<'step-refused'> = {
    // One record per activity call: a retry (after the trail failed) stores it once.
    id: `${workflowId}#step-refused/${caller?.runId ?? '-'}/${info?.activityId ?? '-'}`,
    at: deps.now().toISOString(),
    workflowId,
    deploymentId: String(claimed?.deploymentId ?? ''),
    service: String(claimed?.service ?? ''),
    environment: String(claimed?.environment ?? ''),
    policyHash: context.guardian?.policyHash ?? '',
    actor: `executor/${deps.environment}`,
    planHash,
    kind: 'step-refused',
    summary: `${activity} of step ${String(index)} refused (${refusal.check}): ${refusal.reason}`.slice(
      0,
      1000,
    ),
    details: {
      workflowId,
      planHash,
      index: typeof index === 'number' ? index : -1,
      activity,
      check: refusal.check,
      reason: refusal.reason.slice(0, 1000),
    },
  };
  activityLog().warn('step refused', { check: refusal.check, reason: refusal.reason, step: index });
  try {
    await deps.audit.append(record);
  } catch (error) {
    throw ApplicationFailure.retryable(
      `${refusal.message}; the refusal could not be written to the audit trail: ${(error as Error).message}`,
      'StepRefusalNotAudited',
    );
  }
}
