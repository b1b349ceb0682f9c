import { type Command, Option } from 'commander';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { listGuardians, sendAction, type GuardianHandle } from '../../client/guardians';
import { unservedTaskQueues } from '../../client/task-queue';
import type { ActionResult, GuardianAction, GuardianStatus } from '../../workflows/messages';
import { resolveActor, type ActorClaim } from '../actor';
import {
  ActionTokenError,
  issueActionToken,
  peekActionToken,
  readPrivateJwk,
} from '../../security/action-tokens';
import { DEFAULT_ISSUER } from './token';
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
import { queryStatus } from '../progress';
import { firstLine, withSession, type TemporalSession } from '../temporal-session';

/**
 * The operator's commands: look at a guardian, and tell it what to do. Every
 * command prints the Web UI link of the guardian it touched; every action
 * prints the guardian's own answer and exits 0 when it was accepted, 1 when not.
 */

interface CommonFlags extends LocateFlags {
  profile?: string;
  environment?: string;
}
interface ActionFlags extends CommonFlags {
  as?: string;
  role?: string;
  reason?: string;
  plan?: string;
  token?: string;
  key?: string;
}

const IDENTITY_HELP = [
  'Identity: a signed token says who acts. Pass one with --token <jws> (or $RIPCORD_TOKEN), from',
  '`ripcord token issue` or your sign-on, or sign one here with --key <private JWK> for --as and --role',
  '(it is bound to this guardian, this action and, for approve/reject, the plan shown; valid 5 minutes).',
  'With a token, --as and --role default to its subject and its only role. Without any token the request',
  'carries --as/$RIPCORD_ACTOR (else $USER) and --role/$RIPCORD_ROLE as unverified claims, which only a',
  'worker started with --insecure-claims or --dry-run accepts.',
].join('\n');

/** Lifetime of a token signed on the fly with --key: long enough to send, too short to keep. */
const ON_THE_FLY_TTL_SECONDS = 300;

type Credentials = { claim: ActorClaim; token?: string; key?: string };

/** Who acts, and with what proof, decided before anything touches the network (problems are usage errors). */
function credentials(flags: ActionFlags, env: NodeJS.ProcessEnv = process.env): Credentials {
  const token = flags.token || env.RIPCORD_TOKEN || undefined;
  if (token && flags.key) throw new UserFacingError('pass either --token or --key, not both', EXIT.usage);
  if (!token) return { claim: resolveActor(flags, env), ...(flags.key ? { key: flags.key } : {}) };
  const peek = peekActionToken(token);
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

function withLocateOptions(command: Command): Command {
  return (
    command
      .argument('<id>', 'deployment id, or the full workflow id ripcord/<env>/<service>/<deployment-id>')
      .option('--service <name>', 'with --env: the service of the deployment id (skips the lookup)')
      .option('--env <name>', 'with --service: the environment of the deployment id')
      // The guardian's approval notice spells it --environment; accept that too.
      .addOption(new Option('--environment <name>').hideHelp())
      .option('--profile <name|file>', 'connection profile (default: local or $RIPCORD_PROFILE)')
  );
}

function locateFlags(flags: CommonFlags): LocateFlags {
  const env = flags.env ?? flags.environment;
  return { ...(env ? { env } : {}), ...(flags.service ? { service: flags.service } : {}) };
}

async function status(id: string, flags: CommonFlags & { json?: boolean }): Promise<void> {
  await withSession(flags.profile, async ({ client, conn, link, serviceLink }) => {
    const handle = await locateGuardian(client, id, locateFlags(flags));
    const reading = await readStatus(client, handle);
    if (flags.json) {
      say(JSON.stringify(statusJson(reading), null, 2));
      return;
    }
    say(
      reading.kind === 'live'
        ? formatStatus(reading.status, link(handle.workflowId), new Date(), reading.execution, conn.namespace)
        : formatClosedGuardian(reading.closed, link(handle.workflowId)),
    );
    const list = serviceLink(handle.workflowId);
    if (list) say(`Web UI       ${list}`);
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

async function act(action: GuardianAction, id: string, flags: ActionFlags): Promise<void> {
  // Identity problems are usage errors: report them before touching the network.
  checkReason(flags.reason);
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

async function list(flags: {
  service?: string;
  env?: string;
  all?: boolean;
  json?: boolean;
  profile?: string;
}): Promise<void> {
  await withSession(flags.profile, async ({ client, conn }) => {
    const rows = await listGuardians(client, {
      ...(flags.service ? { service: flags.service } : {}),
      ...(flags.env ? { environment: flags.env } : {}),
      running: !flags.all,
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

const ACTIONS: Array<{ name: string; action: GuardianAction; description: string; judges?: true }> = [
  {
    name: 'approve',
    action: 'approve',
    description: 'approve the rollback plan the guardian waits on',
    judges: true,
  },
  {
    name: 'reject',
    action: 'reject',
    description: 'reject the rollback plan the guardian waits on',
    judges: true,
  },
  { name: 'abort', action: 'abort', description: 'stop the guardian (a rollback under way is undone first)' },
  { name: 'pause', action: 'pause', description: 'pause evaluations until resumed' },
  { name: 'resume', action: 'resume', description: 'resume evaluations after a pause' },
  {
    name: 'rollback',
    action: 'rollbackNow',
    description: 'roll back now (manual trigger), through the same plan and gate',
  },
];

export function registerOperateCommands(program: Command): void {
  withLocateOptions(
    program.command('status').description('show what a guardian is doing and why, with its Web UI link'),
  )
    .option('--json', 'print the status object only')
    .action(status);

  for (const { name, action, description, judges } of ACTIONS) {
    const command = withLocateOptions(program.command(name).description(description));
    if (judges)
      command.option('--plan <hash>', 'the plan hash you judge; refused if it is not the current plan');
    command
      .option('--reason <text>', 'why (kept in the audit trail)')
      .option('--token <jws>', 'signed action token (default: $RIPCORD_TOKEN)')
      .option('--key <file>', 'sign a token here with this private JWK, for --as and --role')
      .option('--as <actor>', 'who is asking (default: the token subject, else $RIPCORD_ACTOR, else $USER)')
      .option('--role <role>', 'the role you act in (default: the token role, else $RIPCORD_ROLE)')
      .addHelpText('after', `\n${IDENTITY_HELP}\nExit codes: 0 accepted, 1 refused or failed, 2 usage error.`)
      .action((id: string, flags: ActionFlags) => act(action, id, flags));
  }

  program
    .command('list')
    .description('list running guardians (from search attributes), newest first')
    .option('--service <name>', 'only this service')
    .option('--env <name>', 'only this environment')
    .option('--all', 'closed guardians too')
    .option('--json', 'print the rows as JSON')
    .option('--profile <name|file>', 'connection profile (default: local or $RIPCORD_PROFILE)')
    .action(list);
}
