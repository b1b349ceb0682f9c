import { z } from 'zod';
import { EndpointUnavailableError } from '../support/circuit-breaker';
import { PermanentStepError, StepVerificationError } from '../errors';
import { describeAnswer, sanitizeText } from '../support/outbound-http';
import { heartbeatingPause } from '../support/pause';
import { readJsonResponse } from '../support/response';
import type { StepContext } from '../types';

/**
 * Follows a receiver's status URL until the job it started ends. The receiver
 * answers `{ "state": "pending" | "running" | "succeeded" | "failed",
 * "message"?: "..." }`; any other state is taken as not finished yet, and so
 * is an answer of another shape (the problem, naming the field, is what the
 * timeout error says it saw last).
 */

const JobStatus = z.object({ state: z.string(), message: z.string().optional() });

export type JobState = 'succeeded' | 'failed' | 'unfinished';

export interface PollOptions {
  /** One signed GET of the status URL; returns the HTTP status and body. */
  fetchStatus: () => Promise<{ status: number; text: string }>;
  /** Who answers, for messages: "the receiver at https://deploy.example.com". */
  what: string;
  /** What the job is, for messages: "rollback", "compensation". */
  job: string;
  deadlineMs: number;
  now: () => number;
  ctx: StepContext;
  /** First pause between polls, growing by half each time up to `maxIntervalMs`. */
  initialIntervalMs?: number;
  maxIntervalMs?: number;
}

export interface PollResult {
  state: 'succeeded';
  message: string;
}

export async function pollUntilDone(options: PollOptions): Promise<PollResult> {
  const { ctx } = options;
  let interval = options.initialIntervalMs ?? 1_000;
  const maxInterval = options.maxIntervalMs ?? 10_000;
  let last = 'no answer yet';
  for (let attempt = 1; ; attempt++) {
    ctx.heartbeat({ polling: options.job, attempt, last });
    const outcome = await pollOnce(options);
    if (outcome.state === 'succeeded') return { state: 'succeeded', message: outcome.message };
    last = outcome.message;
    const remaining = options.deadlineMs - options.now();
    if (remaining <= 0) break;
    await heartbeatingPause(Math.min(interval, remaining), ctx, { polling: options.job });
    interval = Math.min(maxInterval, Math.round(interval * 1.5));
  }
  throw new StepVerificationError(
    `${options.what} did not report the ${options.job} as succeeded in time (last: ${last})`,
  );
}

async function pollOnce(
  options: PollOptions,
): Promise<{ state: 'succeeded' | 'unfinished'; message: string }> {
  let answer: { status: number; text: string };
  try {
    answer = await options.fetchStatus();
  } catch (error) {
    // A blip while polling is worth another look before the deadline; an open circuit is not.
    if (error instanceof EndpointUnavailableError) {
      return { state: 'unfinished', message: error.message };
    }
    throw error;
  }
  if (answer.status === 404 || answer.status === 410) {
    throw new StepVerificationError(
      `${options.what} no longer knows the ${options.job} (status URL answered ${describeAnswer(answer.status, answer.text)})`,
    );
  }
  if (answer.status < 200 || answer.status >= 300) {
    throw new PermanentStepError(
      `${options.what} refused the status request: ${describeAnswer(answer.status, answer.text)}`,
    );
  }
  const reading = readJsonResponse(JobStatus, answer.text, {
    target: 'webhook',
    what: `the status answer of ${options.what}`,
  });
  if (!reading.ok) return { state: 'unfinished', message: reading.problem };
  const { state } = reading.value;
  const message = sanitizeText(reading.value.message ?? '');
  if (state === 'succeeded') return { state: 'succeeded', message };
  if (state === 'failed') {
    throw new JobFailedError(
      `${options.what} reports the ${options.job} failed${message ? `: ${message}` : ' (no message)'}`,
    );
  }
  return {
    state: 'unfinished',
    message: `state "${sanitizeText(state, 40)}"${message ? `: ${message}` : ''}`,
  };
}

/** The receiver says its job failed: a read-back mismatch for a rollback (retried by the step's policy). */
export class JobFailedError extends StepVerificationError {}
