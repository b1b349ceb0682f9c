import {
  CancelledFailure,
  type Client,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowFailedError,
} from '@temporalio/client';
import { guardianStatus, type GuardianHandle } from './guardians';
import { evidenceWords } from '../model/evidence-words';
import type { GuardianStatus } from '../model/guardian';
import type { GuardianEnd } from './guardian-end';
import { formatMoment } from '../text/moments';
import { formatWaiting } from './waiting-format';
import { formatWaitEnding } from './wait-ending-format';
import { firstLine } from '../text/lines';

/**
 * Following a guardian from a terminal or a pipeline log: one line for each
 * thing that changed (a phase, a verdict, a step), never a line per poll.
 */

/**
 * The lines that describe what changed between two polls of the status query.
 * A wait for a person (gate, escalated) is followed by how to end it: who may
 * act and until when, the full plan hash and the exact command, with the
 * `namespace` the guardian lives in.
 */
export function progressLines(
  prev: GuardianStatus | undefined,
  next: GuardianStatus,
  now: Date,
  namespace = 'default',
): string[] {
  const lines: string[] = [];
  if (prev !== undefined && next.paused !== prev.paused) {
    lines.push(next.paused ? 'paused by an operator: no evaluation until resumed' : 'resumed');
  }
  const verdict = next.lastVerdict;
  if (verdict && verdict.verdict !== prev?.lastVerdict?.verdict) {
    lines.push(
      `verdict ${verdict.verdict} at interval ${verdict.index} (${next.evaluations} evaluation(s)): ${verdict.reason}` +
        breachEvidence(next),
    );
  }
  lines.push(...releaseLines(prev, next));
  if (next.decision && next.decision.decision !== prev?.decision?.decision) {
    lines.push(`decision ${next.decision.decision} (${next.decision.source}): ${next.decision.reason}`);
  }
  if (next.plan && next.plan.planHash !== prev?.plan?.planHash) {
    const why = next.plan.riskReasons.length > 0 ? ` (${next.plan.riskReasons.join('; ')})` : '';
    lines.push(`plan ${next.plan.planHash}: risk ${next.plan.risk}${why}, ${next.plan.steps.length} step(s)`);
  }
  for (const step of next.plan?.steps ?? []) {
    const before = prev?.plan?.steps.find((s) => s.index === step.index);
    if (step.state === 'pending' || (before?.state === step.state && before.detail === step.detail)) continue;
    lines.push(
      `step ${step.index} ${step.name} (${step.type}): ${step.state}${step.detail ? ` — ${step.detail}` : ''}`,
    );
  }
  for (const approval of next.approvals.slice(prev?.approvals.length ?? 0)) {
    lines.push(`approved by ${approval.subject} (${approval.role})`);
  }
  // Last: what happened above led here, and this is what the guardian waits for now.
  const waiting = formatWaiting(next.waiting, now);
  const waitingChanged =
    prev?.waiting?.for !== next.waiting?.for || prev?.waiting?.until !== next.waiting?.until;
  const planChanged = next.plan?.planHash !== prev?.plan?.planHash;
  let said = false;
  if (next.phase !== prev?.phase && next.phase !== 'close') {
    lines.push(`phase ${next.phase}${waiting ? `: waiting for ${waiting}` : ''}`);
    said = true;
  } else if (waitingChanged && waiting && next.phase !== 'close') {
    lines.push(`waiting for ${waiting}`);
    said = true;
  }
  if (said || planChanged) lines.push(...formatWaitEnding(next, namespace, (iso) => formatMoment(iso, now)));
  return lines;
}

/** A release's new verdicts and its members' changes of state (nothing for a guardian). */
function releaseLines(prev: GuardianStatus | undefined, next: GuardianStatus): string[] {
  const release = next.release;
  if (release === undefined) return [];
  const lines = release.verdicts
    .slice(prev?.release?.verdicts.length ?? 0)
    .map(
      (v) =>
        `release verdict ${v.kind} at interval ${v.atIndex}${v.rollback.length ? `: roll back ${v.rollback.join(', ')}` : ''} — ${v.reason}`,
    );
  for (const member of release.members) {
    const before = prev?.release?.members.find((m) => m.service === member.service);
    if (before?.state === member.state) continue;
    if (before === undefined && member.state === 'watching') continue;
    lines.push(`member ${member.service}: ${member.state}${member.reason ? ` — ${member.reason}` : ''}`);
  }
  return lines;
}

/** "; error-rate: 3.4× the evidence needed" for each signal in breach or confirming; nothing while all watch quietly. */
function breachEvidence(status: GuardianStatus): string {
  const flagged = status.signals.filter((s) => s.phase !== 'watching' || s.verdict === 'regressed');
  return flagged.map((s) => `; ${s.signal}: ${evidenceWords(s)}`).join('');
}

/** A reminder that the guardian is alive when nothing changed for a while (long, quiet watches). */
export function stillLine(status: GuardianStatus): string {
  const verdict = status.lastVerdict ? `, last verdict ${status.lastVerdict.verdict}` : '';
  return `still ${status.phase}${status.paused ? ' (paused)' : ''}: ${status.evaluations} evaluation(s)${verdict}`;
}

/** How the run ended: its outcome, or how it was stopped from outside. */
export async function waitForEnd(handle: GuardianHandle): Promise<GuardianEnd> {
  try {
    const result = await handle.result();
    return { kind: 'outcome', outcome: result.outcome, reason: result.reason };
  } catch (err) {
    return stoppedBy(err);
  }
}

/** A run that ended without a result: terminated, cancelled, timed out or failed. Other errors pass on. */
export function stoppedBy(err: unknown): Extract<GuardianEnd, { kind: 'stopped' }> {
  if (!(err instanceof WorkflowFailedError)) throw err;
  const cause = err.cause;
  const message = firstLine(cause?.message ?? err.message);
  if (cause instanceof TerminatedFailure) return { kind: 'stopped', how: 'terminated', message };
  if (cause instanceof CancelledFailure) return { kind: 'stopped', how: 'cancelled', message };
  if (cause instanceof TimeoutFailure) return { kind: 'stopped', how: 'timed out', message };
  return { kind: 'stopped', how: 'failed', message };
}

export function describeEnd(end: GuardianEnd): string {
  return end.kind === 'outcome'
    ? `outcome: ${end.outcome}: ${end.reason}`
    : `the guardian was ${end.how}${end.message ? `: ${end.message}` : ''}`;
}

/** Asks for the status with a deadline: a guardian without a worker never answers. */
export function queryStatus(
  client: Client,
  handle: GuardianHandle,
  timeoutMs: number,
): Promise<GuardianStatus> {
  return client.connection.withDeadline(Date.now() + timeoutMs, () => guardianStatus(handle));
}

export interface FollowOptions {
  pollMs: number;
  say: (line: string) => void;
  now?: () => Date;
  /** Stop following (Ctrl-C): resolves with undefined and prints nothing more. */
  signal?: AbortSignal;
  /** After this long without a line, print one that says the guardian is still at it. */
  quietMs?: number;
  /** The guardian's namespace, named in the commands that end a wait (default "default"). */
  namespace?: string;
  /** Every status read, for callers that track more than the printed lines (the demo's timeline). */
  onStatus?: (status: GuardianStatus) => void;
}

/** Prints progress until the guardian ends; resolves with how it ended (undefined when told to stop). */
export async function followGuardian(
  client: Client,
  handle: GuardianHandle,
  options: FollowOptions & { signal: AbortSignal },
): Promise<GuardianEnd | undefined>;
export async function followGuardian(
  client: Client,
  handle: GuardianHandle,
  options: FollowOptions,
): Promise<GuardianEnd>;
export async function followGuardian(
  client: Client,
  handle: GuardianHandle,
  options: FollowOptions,
): Promise<GuardianEnd | undefined> {
  const stopped = () => options.signal?.aborted === true;
  const now = options.now ?? (() => new Date());
  const clock = () => now().toISOString().slice(11, 19);
  let last: GuardianStatus | undefined;
  let ended: GuardianEnd | undefined;
  let lastSaid = now().getTime();
  let lastProblem: string | undefined;
  const say = (line: string) => {
    options.say(`[${clock()}] ${line}`);
    lastSaid = now().getTime();
  };
  const end = waitForEnd(handle).then((e) => (ended = e));
  end.catch(() => undefined); // awaited below; this only keeps Node from calling it unhandled meanwhile

  const poll = async (timeoutMs: number, reportFailure = true) => {
    try {
      const status = await queryStatus(client, handle, timeoutMs);
      if (stopped()) return;
      options.onStatus?.(status);
      for (const line of progressLines(last, status, now(), options.namespace)) say(line);
      const quiet = options.quietMs !== undefined && now().getTime() - lastSaid >= options.quietMs;
      if (quiet && status.phase !== 'close') say(stillLine(status));
      last = status;
    } catch (err) {
      // A query can fail while a worker restarts, and the next poll tries again; but a guardian
      // stuck on a failing workflow task never answers, and saying nothing would look like a hang.
      const problem = `the guardian does not answer its status query: ${firstLine((err as Error).message)}`;
      if (reportFailure && problem !== lastProblem && !stopped()) say(problem);
      lastProblem = problem;
      return;
    }
    lastProblem = undefined;
  };

  const abort = new Promise<void>((resolve) => options.signal?.addEventListener('abort', () => resolve()));
  while (ended === undefined && !stopped()) {
    await poll(Math.max(options.pollMs, 5_000));
    if (ended !== undefined || stopped()) break;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([end, abort, new Promise((r) => (timer = setTimeout(r, options.pollMs)))]);
    clearTimeout(timer);
  }
  if (stopped()) return undefined;
  // The last steps and verdicts may have happened since the previous poll (a closed guardian
  // answers only while a worker still serves it: no complaint if it does not).
  await poll(2_000, false);
  const final = await end;
  say(describeEnd(final));
  return final;
}
