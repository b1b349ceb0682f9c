import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Context } from '@temporalio/activity';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { GuardianActivityContract } from '../model/activity-contract';
import type { AuditRecord } from '../model/audit';
import type { NotifyInput } from '../model/activity-contract';
import type { StepInput } from '../model/plan';
import type { NotificationDeliveryReport } from '../activities/notify';
import { GUARDIAN_WORKFLOW_TYPE, type GuardianPhase } from '../model/guardian';

/**
 * ripcord's own metrics, served by the worker on /metrics (docs/operations.md,
 * docs/grafana/ripcord-dashboard.json). The workflow stays deterministic and
 * records nothing: counters and histograms are fed by the activities that see
 * the facts (recordAudit, notify, executeStep, each notification delivery),
 * and the gauges of running guardians are read from Temporal's visibility
 * (the RipcordPhase search attribute the guardian publishes) at scrape time,
 * so every worker reports the same true numbers, after any restart.
 */

export const GUARDIAN_PHASES = [
  'admit',
  'watch',
  'confirm',
  'plan',
  'gate',
  'execute',
  'verify',
  'escalated',
  'close',
] as const satisfies readonly GuardianPhase[];
// A phase added to the workflow and forgotten here fails to compile.
const everyPhase: Exclude<GuardianPhase, (typeof GUARDIAN_PHASES)[number]> extends never ? true : never =
  true;
void everyPhase;

/** Counts workflow executions matching a visibility query (Client.workflow.count). */
export type GuardianCounter = (query: string) => Promise<number>;

export interface RipcordMetricsOptions {
  /** Reads running guardians by phase; without it those gauges report nothing. */
  countGuardians?: GuardianCounter;
  /** Only guardians on this task queue are counted (the worker's own). */
  taskQueue?: string;
  /** How long one visibility read may take before the scrape goes on without it. Default 3 s. */
  visibilityTimeoutMs?: number;
  /** Scrapes closer together than this reuse the last visibility read. Default 5 s. */
  visibilityCacheMs?: number;
  /** Node process metrics (CPU, memory, event loop) as ripcord_process_*. Default true. */
  processMetrics?: boolean;
  now?: () => number;
}

const DETECTION_BUCKETS = [15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400];
const RECOVERY_BUCKETS = [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 28_800];
const DECISIONS = ['rollback', 'escalate', 'no-rollback'] as const;
const OUTCOMES = ['promoted', 'rolled-back', 'aborted', 'escalated', 'expired'] as const;
const SOURCES = ['automatic', 'manual'] as const;
/** Activity keys remembered to count a retried activity once; old ones are forgotten first. */
const REMEMBERED_KEYS = 10_000;

type ServiceLabels = 'service' | 'environment';

export class RipcordMetrics {
  readonly registry = new Registry();
  private readonly guardians: Gauge<'phase'>;
  private readonly approvalsWaiting: Gauge;
  private readonly visibilityUp: Gauge;
  private readonly decisions: Counter<'decision' | 'source' | ServiceLabels>;
  private readonly outcomes: Counter<'outcome' | ServiceLabels>;
  private readonly rollbacksStarted: Counter<ServiceLabels>;
  private readonly rollbacksSucceeded: Counter<ServiceLabels>;
  private readonly rollbacksFailed: Counter<'reason' | ServiceLabels>;
  private readonly stepFailures: Counter<'step_type' | ServiceLabels>;
  private readonly detectionDelay: Histogram<ServiceLabels>;
  private readonly timeToRecovery: Histogram<ServiceLabels>;
  private readonly notifications: Counter<'receiver_type' | 'event' | 'result'>;
  private readonly seen = new Set<string>();
  private readonly now: () => number;
  private snapshot?: { at: number; counts: Promise<Map<GuardianPhase, number> | undefined> };

  constructor(private readonly options: RipcordMetricsOptions = {}) {
    this.now = options.now ?? Date.now;
    const registers = [this.registry];
    // Both gauges read the same visibility snapshot, taken once per scrape.
    this.guardians = new Gauge({
      name: 'ripcord_guardians',
      help: 'Running guardians by phase (Temporal visibility, this task queue)',
      labelNames: ['phase'],
      registers,
      collect: async () => {
        const counts = await this.phaseCounts();
        this.guardians.reset();
        if (counts) for (const [phase, n] of counts) this.guardians.set({ phase }, n);
      },
    });
    this.approvalsWaiting = new Gauge({
      name: 'ripcord_approvals_waiting',
      help: 'Guardians waiting for a signed approval of a high-risk rollback (phase gate)',
      registers,
      collect: async () => {
        const counts = await this.phaseCounts();
        // Unknown is NaN (a gap in a graph), never a reassuring 0.
        this.approvalsWaiting.set(counts ? (counts.get('gate') ?? 0) : NaN);
      },
    });
    this.visibilityUp = new Gauge({
      name: 'ripcord_visibility_up',
      help: '1 when the last read of running guardians from Temporal visibility worked, else 0',
      registers,
      collect: async () => {
        this.visibilityUp.set((await this.phaseCounts()) ? 1 : 0);
      },
    });
    this.decisions = new Counter({
      name: 'ripcord_decisions_total',
      help: 'Decisions: rollback, escalate (the decision core, or a person for source=manual), no-rollback (a watch that ended clean)',
      labelNames: ['decision', 'source', 'service', 'environment'],
      registers,
    });
    this.outcomes = new Counter({
      name: 'ripcord_guardian_outcomes_total',
      help: 'Guardians closed, by outcome',
      labelNames: ['outcome', 'service', 'environment'],
      registers,
    });
    this.rollbacksStarted = new Counter({
      name: 'ripcord_rollbacks_started_total',
      help: 'Rollbacks whose first step was about to run',
      labelNames: ['service', 'environment'],
      registers,
    });
    this.rollbacksSucceeded = new Counter({
      name: 'ripcord_rollbacks_succeeded_total',
      help: 'Rollbacks done and verified: health back within the recovery targets',
      labelNames: ['service', 'environment'],
      registers,
    });
    this.rollbacksFailed = new Counter({
      name: 'ripcord_rollbacks_failed_total',
      help: 'Rollbacks that failed: a step failed for good (step-failed) or health did not come back (not-recovered)',
      labelNames: ['reason', 'service', 'environment'],
      registers,
    });
    this.stepFailures = new Counter({
      name: 'ripcord_rollback_step_attempts_failed_total',
      help: 'Failed attempts of rollback steps (each retry counts; a cancelled step does not)',
      labelNames: ['step_type', 'service', 'environment'],
      registers,
    });
    this.detectionDelay = new Histogram({
      name: 'ripcord_detection_delay_seconds',
      help: 'From the deploy to the decision to roll back (or, in notify mode, to the detected regression)',
      labelNames: ['service', 'environment'],
      buckets: DETECTION_BUCKETS,
      registers,
    });
    this.timeToRecovery = new Histogram({
      name: 'ripcord_time_to_recovery_seconds',
      help: 'From the deploy to a verified recovery after an automatic or manual rollback',
      labelNames: ['service', 'environment'],
      buckets: RECOVERY_BUCKETS,
      registers,
    });
    this.notifications = new Counter({
      name: 'ripcord_notifications_total',
      help: 'Notification deliveries by receiver type, event and result (delivered, failed)',
      labelNames: ['receiver_type', 'event', 'result'],
      registers,
    });
    if (options.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry, prefix: 'ripcord_' });
    }
  }

  /** The text exposition format, for /metrics. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * An audit record was stored: decisions, outcomes, rollbacks that succeeded
   * or did not recover. Read from the record's kind and typed details, never
   * its summary (words for people). A record of an older worker without
   * these details counts for nothing here.
   */
  observeAudit(record: AuditRecord, key?: string): void {
    if (!this.once(key)) return;
    const where = { service: record.service, environment: record.environment };
    switch (record.kind) {
      case 'admitted':
        this.initialise(where);
        break;
      case 'decision': {
        const decision = record.details?.decision;
        const source = record.details?.source;
        if (isOneOf(DECISIONS, decision) && isOneOf(SOURCES, source))
          this.decisions.inc({ decision, source, ...where });
        break;
      }
      case 'action':
        if (record.details?.action === 'rollbackNow')
          this.decisions.inc({ decision: 'rollback', source: 'manual', ...where });
        break;
      case 'recovery':
        if (record.details?.recovered === false)
          this.rollbacksFailed.inc({ reason: 'not-recovered', ...where });
        break;
      case 'outcome': {
        const details = record.details;
        if (!isOneOf(OUTCOMES, details?.outcome)) break;
        this.outcomes.inc({ outcome: details.outcome, ...where });
        if (details.outcome === 'rolled-back') this.rollbacksSucceeded.inc(where);
        // A watch that ended clean is the core's no-rollback decision (it writes no decision record).
        if (details.reason === 'watch-ended-healthy')
          this.decisions.inc({ decision: 'no-rollback', source: 'automatic', ...where });
        break;
      }
      default:
        break;
    }
  }

  /** The guardian announced an event (every event reaches the notify activity, receivers or not). */
  observeNotify(input: NotifyInput, key?: string): void {
    if (!this.once(key)) return;
    const d = input.deployment;
    const where = { service: d.service, environment: d.environment };
    const sinceDeploy = (this.now() - Date.parse(d.deployedAt)) / 1000;
    switch (input.event) {
      case 'rollback-decided':
      case 'regression-detected':
        if (sinceDeploy >= 0) this.detectionDelay.observe(where, sinceDeploy);
        break;
      case 'rollback-started':
        this.rollbacksStarted.inc(where);
        break;
      case 'rollback-failed':
        this.rollbacksFailed.inc({ reason: 'step-failed', ...where });
        break;
      case 'rollback-completed':
        if (sinceDeploy >= 0) this.timeToRecovery.observe(where, sinceDeploy);
        break;
      default:
        break;
    }
  }

  /** One attempt of a rollback step failed (it may be retried). */
  observeStepFailure(input: StepInput): void {
    const d = input.deployment;
    this.stepFailures.inc({
      step_type: input.step.action.type,
      service: d.service,
      environment: d.environment,
    });
  }

  observeDelivery(report: NotificationDeliveryReport): void {
    this.notifications.inc({
      receiver_type: report.receiverType,
      event: report.event,
      result: report.delivered ? 'delivered' : 'failed',
    });
  }

  /**
   * Every series of a service at 0 as soon as it is guarded: Prometheus'
   * increase() and rate() count nothing for a series whose first sample is
   * already 1, so the first rollback of a service would otherwise not show.
   */
  private initialise(where: Record<ServiceLabels, string>): void {
    for (const decision of DECISIONS)
      for (const source of SOURCES) this.decisions.inc({ decision, source, ...where }, 0);
    for (const outcome of OUTCOMES) this.outcomes.inc({ outcome, ...where }, 0);
    this.rollbacksStarted.inc(where, 0);
    this.rollbacksSucceeded.inc(where, 0);
    for (const reason of ['step-failed', 'not-recovered']) this.rollbacksFailed.inc({ reason, ...where }, 0);
    this.detectionDelay.zero(where);
    this.timeToRecovery.zero(where);
  }

  /** True the first time a key is seen (no key: always): a retried activity counts once. */
  private once(key: string | undefined): boolean {
    if (key === undefined) return true;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.seen.size > REMEMBERED_KEYS) this.seen.delete(this.seen.values().next().value!);
    return true;
  }

  private phaseCounts(): Promise<Map<GuardianPhase, number> | undefined> {
    const count = this.options.countGuardians;
    if (!count) return Promise.resolve(undefined);
    const cacheMs = this.options.visibilityCacheMs ?? 5_000;
    if (this.snapshot && this.now() - this.snapshot.at < cacheMs) return this.snapshot.counts;
    const timeoutMs = this.options.visibilityTimeoutMs ?? 3_000;
    const queue = this.options.taskQueue ? ` AND TaskQueue = ${quote(this.options.taskQueue)}` : '';
    const base = `WorkflowType = ${quote(GUARDIAN_WORKFLOW_TYPE)} AND ExecutionStatus = "Running"${queue}`;
    const counts = withTimeout(
      Promise.all(
        GUARDIAN_PHASES.map(
          async (phase) => [phase, await count(`${base} AND RipcordPhase = ${quote(phase)}`)] as const,
        ),
      ),
      timeoutMs,
    ).then(
      (pairs) => new Map<GuardianPhase, number>(pairs),
      // Visibility down: the gauges go empty and ripcord_visibility_up says why; the scrape still works.
      () => undefined,
    );
    this.snapshot = { at: this.now(), counts };
    return counts;
  }
}

/**
 * The activities with metrics recorded around them; what they do is unchanged,
 * and a metrics failure never fails an activity.
 */
export function instrumentActivities<A extends GuardianActivityContract>(
  activities: A,
  metrics: RipcordMetrics,
): A {
  const quietly = (record: () => void) => {
    try {
      record();
    } catch {
      // Metrics are for people watching; a bug here must not touch a rollback.
    }
  };
  return {
    ...activities,
    recordAudit: async (record: AuditRecord) => {
      // The receipt is the guardian's audit head: pass it on.
      const receipt = await activities.recordAudit(record);
      quietly(() => metrics.observeAudit(record, activityKey()));
      return receipt;
    },
    notify: async (input: NotifyInput) => {
      quietly(() => metrics.observeNotify(input, activityKey()));
      await activities.notify(input);
    },
    executeStep: async (input: StepInput) => {
      try {
        return await activities.executeStep(input);
      } catch (error) {
        if (!cancelled()) quietly(() => metrics.observeStepFailure(input));
        throw error;
      }
    },
  };
}

export interface MetricsServer {
  /** e.g. http://127.0.0.1:9464/metrics */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves GET /metrics (and nothing else worth having) on host:port; port 0 picks a free one. */
export function serveMetrics(
  metrics: RipcordMetrics,
  options: { port: number; host?: string },
): Promise<MetricsServer> {
  const host = options.host ?? '0.0.0.0';
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('ripcord worker: metrics are on /metrics\n');
      return;
    }
    metrics.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': metrics.contentType }).end(text),
      (error: unknown) =>
        res
          .writeHead(500, { 'Content-Type': 'text/plain' })
          .end(`cannot collect metrics: ${error instanceof Error ? error.message : String(error)}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      resolve({
        url: `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/metrics`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** Same run, same activity id: the retries of one activity. */
function activityKey(): string | undefined {
  try {
    const info = Context.current().info;
    return info.workflowExecution ? `${info.workflowExecution.runId}/${info.activityId}` : undefined;
  } catch {
    return undefined;
  }
}

function cancelled(): boolean {
  try {
    return Context.current().cancellationSignal.aborted;
  } catch {
    return false;
  }
}

function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return (values as readonly unknown[]).includes(value);
}

/** A visibility string literal; the values are ours (phases, a task queue name), quoted all the same. */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
