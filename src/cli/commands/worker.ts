import { TransportError } from '@temporalio/worker';
import { describeConnection, loadConnectionProfile } from '../../client/connection-profile';
import { describeDatabase } from '../../activities/audit';
import { encryptingDataConverter } from '../../security/codec/data-converter';
import { createWorker } from '../../worker';
import { grpcReason, installRuntimeLogger } from '../../worker/runtime';
import { preflightWorker, setting } from '../../worker/preflight';
import { describeTracing, startTracing } from '../../tracing';
import { UserFacingError } from '../errors';
import { EXIT } from '../exit-codes';
import { checkPlane } from '../worker-plane';
import { executeTaskQueue } from '../../model/planes';

export interface WorkerFlags {
  profile?: string;
  logLevel: string;
  stateDir: string;
  dryRun?: boolean;
  approvalKeys?: string;
  tokenIssuer: string[];
  insecureClaims?: boolean;
  auditDb?: string;
  auditKey?: string;
  codecKeys?: string;
  targets?: string;
  acceptReplay?: boolean;
  metricsPort?: string;
  metricsHost: string;
  webUi?: string;
  notifications?: string;
  plane?: string;
  environment?: string;
  allowSecret: string[];
}

/** Waits before the next connection attempt: 1, 2, 4… up to 30 s. Ctrl-C ends the wait and the command. */
async function waitToReconnect(where: string, reason: string, attempt: number): Promise<void> {
  const seconds = Math.min(30, 2 ** Math.min(attempt - 1, 5));
  process.stderr.write(
    `ripcord: Temporal at ${where} unreachable (${reason}); retrying in ${seconds}s (attempt ${attempt}, Ctrl-C to stop)\n`,
  );
  let onSignal = () => {};
  const interrupted = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), seconds * 1000);
    onSignal = () => {
      clearTimeout(timer);
      resolve(true);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  if (interrupted) throw new UserFacingError('stopped before Temporal was reachable', EXIT.interrupted);
}

/** A TCP port, or a usage error that names the flag. */
function parseMetricsPort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65_535) {
    throw new UserFacingError(`--metrics-port must be a port number (1-65535), got "${value}"`);
  }
  return port;
}

/** `ripcord worker`: runs until Ctrl-C. */
export async function runWorker(opts: WorkerFlags): Promise<void> {
  const level = opts.logLevel.toUpperCase();
  if (!['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'].includes(level)) {
    throw new UserFacingError(
      `--log-level must be TRACE, DEBUG, INFO, WARN or ERROR, got "${opts.logLevel}"`,
    );
  }
  // Usage errors before the SDK runtime starts: once it runs, it keeps the process alive.
  const metricsPort = parseMetricsPort(opts.metricsPort || process.env.RIPCORD_METRICS_PORT || undefined);
  if (opts.notifications !== undefined && !['send', 'log'].includes(opts.notifications)) {
    throw new UserFacingError(`--notifications must be send or log, got "${opts.notifications}"`);
  }
  if (opts.webUi !== undefined && !/^https?:\/\/[^\s]+$/.test(opts.webUi)) {
    throw new UserFacingError(`--web-ui must be an http(s) URL, got "${opts.webUi}"`);
  }
  const planeCheck = checkPlane({ ...opts, allowSecret: opts.allowSecret ?? [] });
  if (planeCheck.problems.length > 0)
    throw new UserFacingError(planeCheck.problems.join('\nripcord: '), EXIT.usage);
  const { plane, environment } = planeCheck;
  const sendNotifications = opts.notifications === undefined ? !opts.dryRun : opts.notifications === 'send';
  installRuntimeLogger(level as 'WARN');
  const conn = loadConnectionProfile(opts.profile);
  const approvalKeys = opts.approvalKeys || process.env.RIPCORD_APPROVAL_KEYS || undefined;
  const webUi = opts.webUi ?? conn.webUi;
  const auditKey = opts.auditKey || process.env.RIPCORD_AUDIT_KEY || undefined;
  // Every file and secret the worker will need, checked now: a problem found when someone acts is too late.
  const checked = await preflightWorker({
    approvalKeys: setting('--approval-keys', opts.approvalKeys, 'RIPCORD_APPROVAL_KEYS'),
    auditKey: setting('--audit-key', opts.auditKey, 'RIPCORD_AUDIT_KEY'),
    auditDb: setting('--audit-db', opts.auditDb, 'RIPCORD_AUDIT_DB'),
    ...(opts.codecKeys ? { codecKeys: opts.codecKeys } : {}),
    targets: setting('--targets', opts.targets, 'RIPCORD_TARGETS'),
    dryRun: opts.dryRun === true,
  });
  if (checked.problems.length > 0) {
    // One line per problem, each naming its flag; exit 1 before anything connects.
    throw new UserFacingError(checked.problems.join('\nripcord: '));
  }
  const { auditKid, auditDatabase, keyring, targets } = checked;
  // OTEL_* set: workflow and activity spans, and traceparent on every call to a target or receiver.
  const tracing = startTracing('ripcord-worker');
  let created;
  // Temporal down (not started yet, restarting): one line per attempt, and try again.
  for (let attempt = 1; created === undefined; attempt++) {
    try {
      created = await createWorker({
        connection: conn,
        plane,
        ...(environment ? { environment } : {}),
        ...(keyring ? { dataConverter: encryptingDataConverter(keyring) } : {}),
        ...(metricsPort !== undefined ? { metricsPort, metricsHost: opts.metricsHost } : {}),
        depsOptions: {
          stateDir: opts.stateDir,
          dryRun: opts.dryRun === true,
          ...(approvalKeys ? { approvalKeys } : {}),
          ...(opts.tokenIssuer.length > 0 ? { tokenIssuers: opts.tokenIssuer } : {}),
          ...(opts.insecureClaims ? { insecureClaims: true } : {}),
          ...(auditDatabase ? { auditDatabase } : {}),
          ...(auditKey ? { auditKey } : {}),
          ...(targets ? { targets } : {}),
          ...(opts.acceptReplay ? { acceptReplay: true } : {}),
          notifications: { send: sendNotifications, ...(webUi ? { webUi } : {}) },
        },
      });
    } catch (err) {
      if (err instanceof TransportError) {
        await waitToReconnect(describeConnection(conn), grpcReason(err), attempt);
        continue;
      }
      throw new UserFacingError(
        `cannot start the worker on ${describeConnection(conn)}: ${(err as Error).message}`,
      );
    }
  }
  const { worker, close, metricsServer } = created;
  const shutdown = () => worker.shutdown();
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  const actions = approvalKeys
    ? `signed tokens verified with ${approvalKeys}`
    : opts.insecureClaims || opts.dryRun
      ? 'UNVERIFIED claims (no --approval-keys; development only)'
      : 'all refused (no --approval-keys)';
  const planeLine =
    plane === 'all'
      ? 'decide and execute, in this process (task queue ' + conn.taskQueue + ')'
      : plane === 'decide'
        ? `decide: guardians, health, bookkeeping on ${conn.taskQueue}; steps go to ${executeTaskQueue(conn.taskQueue, '<environment>')}`
        : `execute: the rollback steps of ${environment} on ${executeTaskQueue(conn.taskQueue, environment!)}`;
  process.stdout.write(
    `ripcord worker running on ${describeConnection(conn)}${opts.dryRun ? ' (dry run: steps are recorded, not applied)' : ''} (Ctrl-C to stop)\n` +
      `  plane:    ${planeLine}\n` +
      `  actions:  ${actions}\n` +
      `  targets:  ${plane === 'decide' ? 'none (decide plane: steps run on the execute plane)' : opts.dryRun ? 'recording (dry run)' : targets ? targets.describe() : 'none (no --targets: every rollback step fails closed)'}\n` +
      `  audit:    ${auditDatabase ? describeDatabase(auditDatabase) : `${opts.stateDir}/audit.jsonl`} (hash-chained, ${auditKid ? `signed with audit key ${auditKid}` : 'NOT signed: no --audit-key'})\n` +
      `  payloads: ${keyring ? `encrypted with key ${keyring.currentId} (${keyring.ids.length} in keyring)` : 'not encrypted'}\n` +
      `  notify:   ${sendNotifications ? "sent to the policy's receivers" : 'logged only'}\n` +
      `  tracing:  ${describeTracing(tracing.setting)}\n` +
      `  metrics:  ${metricsServer ? `${metricsServer.url}${opts.metricsHost === '0.0.0.0' ? ' (all interfaces)' : ''}` : 'off (--metrics-port)'}\n`,
  );
  try {
    await worker.run();
  } finally {
    await close();
  }
}
