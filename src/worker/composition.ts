import path from 'node:path';
import type { Client } from '@temporalio/client';
import { ReplayHealthSource, ScenarioCache, SourceRegistry } from '../sources';
import { PrometheusHealthSource } from '../sources/prometheus';
import { ProbeHealthSource } from '../sources/probe';
import { RecordingTarget, type StepFault, TargetRegistry, dryRunTargetRegistry } from '../targets';
import type { ActionTokenVerifier } from '../activities/authorize';
import { JoseActionTokenVerifier, RefuseAllActionTokens } from '../security/action-tokens';
import { type AuditSink, JsonlAuditSink, PostgresAuditSink } from '../activities/audit';
import { type AuditSigner, loadAuditSigner } from '../security/audit-signing';
import {
  type DeliveryPolicy,
  HttpNotifier,
  LogNotifier,
  type NotificationDeliveryReport,
  type Notifier,
} from '../activities/notify';
import type { ActivityDeps } from '../activities/deps';

/**
 * The composition root: the one place that turns a worker's options into the
 * concrete sources, targets, audit sink, notifier and token verifier the
 * activities use. Activities see only the ActivityDeps interfaces.
 */
export interface DefaultActivityDepsOptions {
  /** Where ripcord keeps its files; default `.ripcord` in the working directory. */
  stateDir?: string;
  client?: Client;
  /**
   * Route every rollback action to the recording target (rehearse, demo,
   * tests). Off, actions go to the real targets of `targets`; a step type
   * without one fails closed.
   */
  dryRun?: boolean;
  /** The recording target's journal; default `<stateDir>/dry-run/journal.jsonl`. */
  journalFile?: string;
  /** Multiplies the recording target's pauses between traffic stages (rehearse: 1/speed). */
  pauseScale?: number;
  /** Failure injection for the recording target. */
  faults?: StepFault[];
  /** Relative scenario paths are resolved from here; default the working directory. */
  baseDir?: string;
  now?: () => Date;
  /** Public keys that sign action tokens: a JWKS file or URL (the policy's trustedKeys.approvals picks among them). */
  approvalKeys?: string;
  /** Accepted token issuers (`iss`); empty: any. */
  tokenIssuers?: string[];
  /** Trust the actor and role a request claims, unverified: local development only. */
  insecureClaims?: boolean;
  /** Accept guardians whose health is a replayed scenario although steps are real (tests of targets). */
  acceptReplay?: boolean;
  /** Real rollback targets (from the worker's targets file); ignored in dry-run mode. */
  targets?: TargetRegistry;
  /** PostgreSQL connection string for the audit trail (table ripcord_audit); default `<stateDir>/audit.jsonl`. */
  auditDatabase?: string;
  /**
   * The audit key that signs every record: a private Ed25519 JWK file, or
   * `${secret:NAME}` holding the JWK's JSON. Read at once: a missing or bad key throws.
   */
  auditKey?: string;
  notifications?: NotificationOptions;
}

/** The embedded dev server's Web UI, when neither the worker nor its profile names one. */
export const LOCAL_WEB_UI = 'http://127.0.0.1:8233';

export interface NotificationOptions {
  /**
   * Send to the policy's receivers (true) or only log what would be sent
   * (false). Default: send, except in dry-run mode, where a rehearsal must not
   * page anyone.
   */
  send?: boolean;
  /** Base URL of the Temporal Web UI for the guardian links; default the local dev server's. */
  webUi?: string;
  /** PagerDuty Events API v2 endpoint; default PagerDuty's. */
  pagerDutyEventsUrl?: string;
  /** Timeouts and retries of one delivery; the defaults fit well inside the notify activity's timeout. */
  delivery?: Partial<DeliveryPolicy>;
  /** Told after each delivery (the worker's metrics). */
  onDelivery?: (report: NotificationDeliveryReport) => void;
}

/** Real receivers, or the log when nothing should leave the worker. */
export function notifierFor(options: NotificationOptions = {}, dryRun = false): Notifier {
  if (!(options.send ?? !dryRun)) return new LogNotifier({ webUi: options.webUi ?? LOCAL_WEB_UI });
  return new HttpNotifier({
    webUi: options.webUi ?? LOCAL_WEB_UI,
    ...(options.pagerDutyEventsUrl ? { pagerDutyEventsUrl: options.pagerDutyEventsUrl } : {}),
    ...(options.delivery ? { delivery: options.delivery } : {}),
    ...(options.onDelivery ? { onDelivery: options.onDelivery } : {}),
  });
}

export interface DefaultActivityDeps extends ActivityDeps {
  /** The recording target, when dry-run mode is on (to report its journal). */
  recording?: RecordingTarget;
  /** Releases what the deps hold open (the audit database's pool). */
  close(): Promise<void>;
}

/**
 * Who may act, decided once per worker. With trusted keys, every action needs
 * a token that verifies. Without them, claims are trusted only when someone
 * asked for that explicitly (--insecure-claims) or nothing real can happen (a
 * dry run); otherwise every action is refused, with the reason: a production
 * worker that forgot its keys fails closed instead of believing anyone.
 */
export function actionTokenVerifier(
  options: Pick<DefaultActivityDepsOptions, 'approvalKeys' | 'tokenIssuers' | 'insecureClaims' | 'dryRun'>,
): ActionTokenVerifier | undefined {
  if (options.approvalKeys) {
    return new JoseActionTokenVerifier({
      keys: options.approvalKeys,
      ...(options.tokenIssuers ? { issuers: options.tokenIssuers } : {}),
    });
  }
  if (options.insecureClaims || options.dryRun) return undefined;
  return new RefuseAllActionTokens(
    'this worker has no trusted keys for action tokens; start it with --approval-keys <JWKS file or URL> ' +
      '(or --insecure-claims, for local development only)',
  );
}

/**
 * The real defaults: replay and Prometheus sources, recording target in dry-run
 * mode, hash-chained audit (JSONL file, or PostgreSQL), action tokens verified
 * against the worker's keys, notifications to the policy's receivers (logged in dry-run mode).
 */
export function defaultActivityDeps(options: DefaultActivityDepsOptions = {}): DefaultActivityDeps {
  const stateDir = options.stateDir ?? '.ripcord';
  const sources = new SourceRegistry({
    replay: new ReplayHealthSource(new ScenarioCache(options.baseDir)),
    prometheus: new PrometheusHealthSource(),
    probe: new ProbeHealthSource(),
  });
  const recording = options.dryRun
    ? new RecordingTarget({
        journalFile: options.journalFile ?? path.join(stateDir, 'dry-run', 'journal.jsonl'),
        ...(options.pauseScale !== undefined ? { pauseScale: options.pauseScale } : {}),
        ...(options.faults !== undefined ? { faults: options.faults } : {}),
      })
    : undefined;
  const signer: AuditSigner | undefined = options.auditKey ? loadAuditSigner(options.auditKey) : undefined;
  const sinkOptions = signer ? { signer } : {};
  const audit: AuditSink & { close?: () => Promise<void> } = options.auditDatabase
    ? new PostgresAuditSink(options.auditDatabase, sinkOptions)
    : new JsonlAuditSink(path.join(stateDir, 'audit.jsonl'), sinkOptions);
  const tokens = actionTokenVerifier(options);
  return {
    now: options.now ?? (() => new Date()),
    ...(options.client !== undefined ? { client: options.client } : {}),
    sources,
    refuseReplay: !(options.dryRun === true || options.acceptReplay === true),
    targets: recording ? dryRunTargetRegistry(recording) : (options.targets ?? new TargetRegistry({})),
    audit,
    notifier: notifierFor(options.notifications, options.dryRun === true),
    ...(tokens ? { tokens } : {}),
    ...(recording ? { recording } : {}),
    close: async () => {
      await audit.close?.();
    },
  };
}
