import { WorkflowUpdateFailedError } from '@temporalio/client';
import { listGuardians, sendAction, type GuardianHandle } from '../../client/guardians';
import { unservedTaskQueues } from '../../client/task-queue';
import type { ActionResult, GuardianAction } from '../../model/actions';
import type { GuardianStatus } from '../../model/guardian';
import { resolveActor, type ActorClaim } from '../actor';
import type * as ActionTokens from '../../security/action-tokens';
import { DEFAULT_ISSUER } from '../register/token';
import { EXIT } from '../exit-codes';
import { UserFacingError } from '../errors';
import { locateGuardian, readStatus, type LocateFlags, type StatusReading } from '../guardian-lookup';
import { planToJudge } from '../judge-plan';
import { checkReason } from '../reason';
import { endedEarly, formatClosedGuardian, formatStatus } from '../status-format';
import {
  formatGuardianRows,
  glanceOf,
  guardianListLink,
  mapBounded,
  type GuardianGlance,
} from '../guardian-list';
import { queryStatus } from '../../client/progress';
import { guardianTraceId } from '../../client/trace-id';
import { firstLine } from '../../text/lines';
import { withSession, type TemporalSession } from '../temporal-session';

/**
 * The operator's commands: look at a guardian, and tell it what to do. Every
 * command prints the Web UI link of the guardian it touched; every action
 * prints the guardian's own answer and exits 0 when it was accepted, 1 when not.
 */

export interface CommonFlags extends LocateFlags {
  profile?: string;
  environment?: string;
}
export type StatusFlags = CommonFlags & { json?: boolean };
export interface ActionFlags extends CommonFlags {
  as?: string;
  role?: string;
  reason?: string;
  plan?: string;
  token?: string;
  key?: string;
}

// Signed tokens (and jose) are for the actions only: status and list never read or sign one.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const actionTokens = (): typeof ActionTokens => require('../../security/action-tokens');

/** Lifetime of a token signed on the fly with --key: long enough to send, too short to keep. */
const ON_THE_FLY_TTL_SECONDS = 300;

type Credentials = { claim: ActorClaim; token?: string; key?: string };

/** Who acts, and with what proof, decided before anything touches the network (problems are usage errors). */
function credentials(flags: ActionFlags, env: NodeJS.ProcessEnv = process.env): Credentials {
  const token = flags.token || env.RIPCORD_TOKEN || undefined;
  if (token && flags.key) throw new UserFacingError('pass either --token or --key, not both', EXIT.usage);
  if (!token) return { claim: resolveActor(flags, env), ...(flags.key ? { key: flags.key } : {}) };
  const peek = actionTokens().peekActionToken(token);
  const role = flags.role ?? (peek.roles.length === 1 ? peek.roles[0] : env.RIPCORD_ROLE);
  if (!role) {
    throw new UserFacingError(
      `the token grants several roles (${peek.roles.join(', ') || 'none'}); pass --role to say which one you act in`,
      EXIT.usage,
    );
  }
  // The worker verifies the token and uses only its subject; this just names the request the same way.
  return { claim: resolveActor({ as: flags.as ?? peek.subject, role }, env), token };
}

const say = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);

/** An update waits for the guardian's worker to authorise and audit: long enough for that, not forever. */
const ACTION_TIMEOUT_MS = 60_000;

function locateFlags(flags: CommonFlags): LocateFlags {
  const env = flags.env ?? flags.environment;
  return { ...(env ? { env } : {}), ...(flags.service ? { service: flags.service } : {}) };
}

/** `ripcord status`; with the trace id when the guardian was started by a client that traced (OTEL_*). */
export async function status(id: string, flags: StatusFlags): Promise<void> {
  await withSession(flags.profile, async ({ client, conn, link, serviceLink }) => {
    const handle = await locateGuardian(client, id, locateFlags(flags));
    const [reading, traceId] = await Promise.all([
      readStatus(client, handle),
      guardianTraceId(client, handle.workflowId),
    ]);
    if (flags.json) {
      say(JSON.stringify({ ...statusJson(reading), ...(traceId ? { traceId } : {}) }, null, 2));
      return;
    }
    say(
      reading.kind === 'live'
        ? formatStatus(reading.status, link(handle.workflowId), new Date(), reading.execution, conn.namespace)
        : formatClosedGuardian(reading.closed, link(handle.workflowId)),
    );
    const list = serviceLink(handle.workflowId);
    if (list) say(`Web UI       ${list}`);
    if (traceId) say(`trace        ${traceId}`);
  });
}

/**
 * `ripcord status --json`: the guardian's status (or what its history says) and
 * what Temporal says of the run. A run that ended early carries no `waiting`:
 * its last status may say it waits, but nothing will come.
 */
function statusJson(reading: StatusReading): Record<string, unknown> {
  const body: Record<string, unknown> = {
    ...(reading.kind === 'live' ? reading.status : reading.closed),
    execution: reading.execution,
  };
  if (endedEarly(reading.execution)) delete body.waiting;
  return body;
}

async function send(
  session: TemporalSession,
  handle: GuardianHandle,
  action: GuardianAction,
  request: Parameters<typeof sendAction>[2],
  phase: GuardianStatus['phase'],
): Promise<ActionResult> {
  try {
    return await session.client.connection.withDeadline(Date.now() + ACTION_TIMEOUT_MS, () =>
      sendAction(handle, action, request),
    );
  } catch (err) {
    // The validator refused a malformed request before it reached history.
    if (err instanceof WorkflowUpdateFailedError) {
      return { accepted: false, message: firstLine(err.cause?.message ?? err.message), phase };
    }
    throw err;
  }
}

/** `ripcord approve|reject|abort|pause|resume|rollback`. */
export async function act(action: GuardianAction, id: string, flags: ActionFlags): Promise<void> {
  // Identity problems are usage errors: report them before touching the network.
  checkReason(flags.reason);
  const { ActionTokenError, issueActionToken, readPrivateJwk } = actionTokens();
  const creds = credentials(flags);
  const { claim } = creds;
  const privateJwk = creds.key
    ? await readPrivateJwk(creds.key).catch((err: Error) => {
        throw new UserFacingError(err.message, EXIT.usage);
      })
    : undefined;
  await withSession(flags.profile, async (session) => {
    const handle = await locateGuardian(session.client, id, locateFlags(flags));
    const link = session.link(handle.workflowId);
    const list = session.serviceLink(handle.workflowId);
    const reading = await readStatus(session.client, handle);
    if (reading.kind === 'closed' || reading.status.phase === 'close' || endedEarly(reading.execution)) {
      const outcome =
        reading.kind === 'closed'
          ? (reading.closed.result?.outcome ?? reading.closed.stopped ?? 'closed')
          : (reading.status.outcome ?? reading.execution.status.toLowerCase());
      say(`Web UI   ${link}`);
      if (list) say(`Web UI   ${list}`);
      throw new UserFacingError(
        `guardian ${handle.workflowId} has already closed (${outcome}); nothing was sent`,
        EXIT.refusedOrFailed,
      );
    }
    const current = reading.status;
    say(`guardian ${handle.workflowId} (phase ${current.phase}${current.paused ? ', paused' : ''})`);
    let planHash: string | undefined;
    if (action === 'approve' || action === 'reject') {
      const judged = planToJudge(action, current, flags.plan);
      say(judged.lines.join('\n'));
      planHash = judged.planHash;
    }
    let token = creds.token;
    if (privateJwk) {
      try {
        token = await issueActionToken({
          privateJwk,
          subject: claim.actor,
          roles: [claim.role],
          action,
          deployment: handle.workflowId,
          ...(planHash !== undefined ? { plan: planHash } : {}),
          ttlSeconds: ON_THE_FLY_TTL_SECONDS,
          issuer: DEFAULT_ISSUER,
        });
      } catch (err) {
        if (err instanceof ActionTokenError) throw new UserFacingError(err.message, EXIT.usage);
        throw err;
      }
    }
    const result = await send(
      session,
      handle,
      action,
      {
        actor: claim.actor,
        role: claim.role,
        ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
        ...(planHash !== undefined ? { planHash } : {}),
        ...(token !== undefined ? { token } : {}),
      },
      current.phase,
    );
    say(`${result.accepted ? 'accepted' : 'refused'}: ${result.message}`);
    say(`Web UI   ${link}`);
    if (list) say(`Web UI   ${list}`);
    process.exitCode = result.accepted ? 0 : EXIT.refusedOrFailed;
  });
}

/** Status queries in flight at once, and how long one guardian may take to answer before it shows '?'. */
const LIST_CONCURRENCY = 8;
const LIST_QUERY_TIMEOUT_MS = 3_000;

/** Asks each running guardian for its status, as `ripcord status` does; one that does not answer never fails the list. */
async function glanceAtRunning(
  client: TemporalSession['client'],
  rows: Awaited<ReturnType<typeof listGuardians>>,
): Promise<Map<string, GuardianGlance>> {
  const running = rows.filter((row) => row.status === 'RUNNING');
  const glances = await mapBounded(running, LIST_CONCURRENCY, async (row): Promise<GuardianGlance> => {
    try {
      const handle = client.workflow.getHandle(row.workflowId) as GuardianHandle;
      return glanceOf(await queryStatus(client, handle, LIST_QUERY_TIMEOUT_MS), new Date());
    } catch (err) {
      return { answered: false, error: firstLine((err as Error).message) };
    }
  });
  return new Map(running.map((row, i) => [row.workflowId, glances[i]!]));
}

export interface ListFlags {
  service?: string;
  env?: string;
  all?: boolean;
  json?: boolean;
  profile?: string;
}

/** `ripcord list`. */
export async function list(flags: ListFlags): Promise<void> {
  await withSession(flags.profile, async ({ client, conn }) => {
    const rows = await listGuardians(client, {
      ...(flags.service ? { service: flags.service } : {}),
      ...(flags.env ? { environment: flags.env } : {}),
      running: !flags.all,
      types: ['guardian', 'release'],
    });
    // Guardians on a task queue nobody polls cannot answer: say why instead of waiting for each.
    const unserved = await unservedTaskQueues(client, rows);
    const unanswerable = (row: (typeof rows)[number]) =>
      row.status === 'RUNNING' && row.taskQueue !== undefined && unserved.has(row.taskQueue);
    const glances = await glanceAtRunning(
      client,
      rows.filter((row) => !unanswerable(row)),
    );
    for (const row of rows.filter(unanswerable))
      glances.set(row.workflowId, { answered: false, error: unserved.get(row.taskQueue!)! });
    if (flags.json) {
      say(
        JSON.stringify(
          rows.map((row) => ({ ...row, live: glances.get(row.workflowId) ?? null })),
          null,
          2,
        ),
      );
      return;
    }
    say(formatGuardianRows(rows, { all: Boolean(flags.all), glances }).join('\n'));
    for (const hint of unserved.values()) say(hint);
    say(`Web UI   ${guardianListLink(conn, flags.service)}`);
  });
}
