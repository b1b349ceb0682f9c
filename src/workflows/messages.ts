import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ActionRequest, ActionResult } from '../model/actions';
import type { GuardianStatus } from '../model/guardian';
import type { MemberOrder } from '../model/release';

/**
 * The guardian's messages (queries, updates, signals), defined once and imported
 * by both the workflow and the client (Temporal samples' pattern). The data they
 * carry is in src/model. Workflow-safe: definitions only, no I/O.
 */

export const statusQuery = defineQuery<GuardianStatus>('status');
export const approveUpdate = defineUpdate<ActionResult, [ActionRequest]>('approve');
export const rejectUpdate = defineUpdate<ActionResult, [ActionRequest]>('reject');
export const abortUpdate = defineUpdate<ActionResult, [ActionRequest]>('abort');
export const pauseUpdate = defineUpdate<ActionResult, [ActionRequest]>('pause');
export const resumeUpdate = defineUpdate<ActionResult, [ActionRequest]>('resume');
export const rollbackNowUpdate = defineUpdate<ActionResult, [ActionRequest]>('rollbackNow');

export const ACTION_UPDATES = {
  approve: approveUpdate,
  reject: rejectUpdate,
  abort: abortUpdate,
  pause: pauseUpdate,
  resume: resumeUpdate,
  rollbackNow: rollbackNowUpdate,
} as const;

export { validateActionRequest } from './request-validation';

/** Sent by a newer guardian of the same service and environment: stop watching (a rollback in progress finishes). */
export const supersedeSignal = defineSignal<[{ by: string }]>('supersede');

/**
 * A release wakes a member guardian: the signal carries nothing, the member
 * asks its release for its order (memberOrderQuery) from an activity.
 */
export const memberOrderSignal = defineSignal('memberOrder');

/** A release's current order for one member (by service), numbered per member. */
export const memberOrderQuery = defineQuery<{ seq: number; order: MemberOrder }, [string]>('memberOrder');
