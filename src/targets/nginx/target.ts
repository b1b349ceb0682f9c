import path from 'node:path';
import type { CompensationOutcome, PlannedStep, ResolvedAction } from '../../model/plan';
import type { DeploymentInfo } from '../../model/guardian';
import { PermanentStepError, StepVerificationError } from '../errors';
import { heartbeatingPause } from '../support/pause';
import { rethrowAs } from '../support/rethrow';
import type { ApplyResult, RollbackTarget, StepContext } from '../types';
import type { NginxTargetConfig, NginxTargetConfigInput } from './config';
import { NginxNotRunningError, readMasterPid } from './control';
import { describeProbe, probeMismatch, probeVersions } from './probe';
import {
  installState,
  installUpstreamText,
  readUpstream,
  type ResolvedService,
  resolveService,
  toConfig,
} from './service';
import { type StepRecord, StepRecords } from './step-state';
import {
  checkWeight,
  describeState,
  expectedVersions,
  otherColour,
  sameState,
  type UpstreamState,
} from './upstream';

type TrafficAction = Extract<ResolvedAction, { type: 'shift-traffic' | 'swap-blue-green' }>;

/**
 * Traffic rollback through nginx: `shift-traffic` moves the canary's share
 * down stage by stage (baseline gets the rest, 0 = canary `down`), and
 * `swap-blue-green` puts the colour that was live before back. Each change is
 * one rewritten upstream file, tested with `nginx -t`, then a reload.
 *
 * Exactly once per idempotency key: the first attempt snapshots the upstream
 * file in the state dir before touching it; a later attempt resumes after the
 * last stage done, and an attempt of a finished step returns applied:false.
 * Compensation puts the snapshot back byte for byte.
 */
export class NginxTrafficTarget implements RollbackTarget {
  readonly name = 'nginx';
  readonly config: NginxTargetConfig;
  private readonly records: StepRecords;
  private readonly now: () => Date;

  constructor(config: NginxTargetConfig | NginxTargetConfigInput, options: { now?: () => Date } = {}) {
    this.config = toConfig(config);
    this.records = new StepRecords(path.resolve(this.config.stateDir));
    this.now = options.now ?? (() => new Date());
  }

  serves(deployment: DeploymentInfo): string | undefined {
    return Object.hasOwn(this.config.services, deployment.service)
      ? undefined
      : `no service "${deployment.service}" is configured (configured: ${Object.keys(this.config.services).join(', ')})`;
  }

  async apply(step: PlannedStep, ctx: StepContext): Promise<ApplyResult> {
    const action = trafficAction(step);
    const service = this.serviceFor(step, action, ctx);
    const key = step.idempotencyKey;

    const existing = await this.records.read(key);
    if (existing?.compensatedAt !== undefined) {
      throw new PermanentStepError(
        `step ${step.index} "${step.name}" was already undone; it needs a new plan`,
      );
    }
    if (existing?.appliedAt !== undefined) {
      return { applied: false, detail: alreadyApplied(key, existing) };
    }
    const record = existing ?? (await this.records.createOrRead(await this.snapshot(step, action, service)));
    if (record.appliedAt !== undefined) return { applied: false, detail: alreadyApplied(key, record) };
    ctx.heartbeat({ step: step.index, phase: 'snapshot taken' });

    if (action.type === 'shift-traffic') {
      await this.shiftTraffic(step, action, service, record, ctx);
    } else {
      await installState(this.config, service, record.target, ctx.signal);
    }

    const done = await this.records.update(key, (r) => ({ ...r, appliedAt: this.now().toISOString() }));
    const from = done.beforeState === undefined ? 'unknown' : describeState(done.beforeState);
    const stages = action.type === 'shift-traffic' ? ` in ${action.weights.length} stage(s)` : '';
    return {
      applied: true,
      detail: `${service.name}: ${from} → ${describeState(done.target)}${stages} (nginx reloaded)`,
    };
  }

  /** The record the first attempt writes before it changes anything. */
  private async snapshot(
    step: PlannedStep,
    action: TrafficAction,
    service: ResolvedService,
  ): Promise<StepRecord> {
    const before = await readUpstream(service);
    const beforeState = before.interpreted.problems.length === 0 ? before.interpreted.state : undefined;
    let target: UpstreamState;
    if (action.type === 'shift-traffic') {
      target = { pattern: 'canary', canaryWeight: action.weights[action.weights.length - 1] ?? 0 };
    } else {
      if (beforeState?.pattern !== 'blue-green') {
        throw new PermanentStepError(
          `cannot tell which colour of ${service.name} is live (${before.interpreted.problems.join('; ')}): ` +
            'nothing to swap back to; set the live colour at deploy time (setLiveColour)',
        );
      }
      // "Back" is the colour that is not live now, decided once: a retry must not swap again.
      target = { pattern: 'blue-green', live: otherColour(beforeState.live) };
    }
    return {
      key: step.idempotencyKey,
      service: service.name,
      action: action.type,
      upstreamFile: service.file,
      beforeText: before.text,
      ...(beforeState === undefined ? {} : { beforeState }),
      target,
      stagesDone: 0,
      createdAt: this.now().toISOString(),
    };
  }

  /** Stage by stage, resuming after the last stage the record holds (a retry after a crash). */
  private async shiftTraffic(
    step: PlannedStep,
    action: Extract<TrafficAction, { type: 'shift-traffic' }>,
    service: ResolvedService,
    record: StepRecord,
    ctx: StepContext,
  ): Promise<void> {
    for (let stage = record.stagesDone; stage < action.weights.length; stage++) {
      if (stage > 0) {
        const pauseMs = action.pauseSeconds * 1000 * this.config.pauseScale;
        await heartbeatingPause(pauseMs, ctx, { step: step.index, pausingBefore: stage });
      }
      const weight = action.weights[stage] ?? 0;
      await installState(this.config, service, { pattern: 'canary', canaryWeight: weight }, ctx.signal);
      await this.records.update(step.idempotencyKey, (r) => ({ ...r, stagesDone: stage + 1 }));
      ctx.heartbeat({ step: step.index, stage, weight });
    }
  }

  async verify(step: PlannedStep, ctx: StepContext): Promise<string> {
    const action = trafficAction(step);
    const service = this.serviceFor(step, action, ctx);
    const record = await this.records.read(step.idempotencyKey);
    if (record?.appliedAt === undefined) {
      throw new StepVerificationError(`step ${step.index} "${step.name}" has not been applied through nginx`);
    }
    if (record.compensatedAt !== undefined) {
      throw new StepVerificationError(`step ${step.index} "${step.name}" was undone`);
    }
    const state = await this.readBack(service, record.target);
    const probed = await this.probe(service, state, ctx, 'previous');
    return `${describeState(state)} (${probed})`;
  }

  async compensate(step: PlannedStep, ctx: StepContext): Promise<CompensationOutcome> {
    const action = trafficAction(step);
    const service = this.serviceFor(step, action, ctx);
    const record = await this.records.read(step.idempotencyKey);
    if (record === undefined) return { compensated: false, detail: 'never applied: nothing to undo' };
    const restored =
      record.beforeText === null
        ? `no ${path.basename(record.upstreamFile)} (none before the step)`
        : record.beforeState === undefined
          ? `${path.basename(record.upstreamFile)} as it was`
          : describeState(record.beforeState);
    if (record.compensatedAt !== undefined) {
      return { compensated: true, detail: `already undone: ${restored}` };
    }

    await installUpstreamText(
      this.config,
      service,
      record.beforeText,
      `the upstream from before step ${step.index}`,
      ctx.signal,
    );
    const back = await readUpstream(service);
    if (back.text !== record.beforeText) {
      throw new StepVerificationError(`${service.file} differs from the snapshot after restoring it`);
    }
    let probed = 'nginx reloaded';
    if (record.beforeState !== undefined) {
      await this.assertRunning();
      probed = await this.probe(service, record.beforeState, ctx, 'either');
    }
    await this.records.update(step.idempotencyKey, (r) => ({
      ...r,
      compensatedAt: this.now().toISOString(),
    }));
    return { compensated: true, detail: `restored ${restored} (${probed})` };
  }

  /** The upstream file read back; throws StepVerificationError unless it holds `expected`. */
  private async readBack(service: ResolvedService, expected: UpstreamState): Promise<UpstreamState> {
    const { interpreted } = await readUpstream(service);
    if (interpreted.state === undefined || interpreted.problems.length > 0) {
      throw new StepVerificationError(
        `${path.basename(service.file)} is not a state of ${service.name}: ${interpreted.problems.join('; ')}`,
      );
    }
    if (!sameState(interpreted.state, expected)) {
      throw new StepVerificationError(
        `expected ${describeState(expected)}, ${path.basename(service.file)} says ${describeState(interpreted.state)}`,
      );
    }
    await this.assertRunning();
    return interpreted.state;
  }

  private assertRunning(): Promise<number> {
    return rethrowAs(() => readMasterPid(this.config.pidFile), NginxNotRunningError, StepVerificationError);
  }

  /** "nginx reloaded, 20/20 probes answered by 1.9.0"; throws StepVerificationError on a mismatch. */
  private async probe(
    service: ResolvedService,
    state: UpstreamState,
    ctx: StepContext,
    liveColourRuns: 'previous' | 'either',
  ): Promise<string> {
    const probe = service.config.probe;
    if (probe === undefined) return 'nginx reloaded; no probe configured';
    ctx.heartbeat({ probing: service.name });
    const result = await probeVersions(probe, ctx.signal);
    const expected = expectedVersions(state, ctx.deployment, liveColourRuns);
    const mismatch = probeMismatch(result, expected, probe);
    if (mismatch !== undefined) throw new StepVerificationError(`${describeState(state)}, but ${mismatch}`);
    return `nginx reloaded, ${describeProbe(result)}`;
  }

  private serviceFor(step: PlannedStep, action: TrafficAction, ctx: StepContext): ResolvedService {
    const service = resolveService(this.config, ctx.deployment.service);
    const needs = action.type === 'shift-traffic' ? 'canary' : 'blue-green';
    if (service.config.pattern !== needs) {
      throw new PermanentStepError(
        `step ${step.index} "${step.name}" is ${action.type}, but service ${service.name} is configured as ${service.config.pattern} in the nginx target`,
      );
    }
    if (action.type === 'shift-traffic') {
      if (action.weights.length === 0) {
        throw new PermanentStepError(`step ${step.index} "${step.name}" has no traffic stages`);
      }
      try {
        action.weights.forEach(checkWeight);
      } catch (error) {
        throw new PermanentStepError(`step ${step.index} "${step.name}": ${(error as Error).message}`);
      }
    }
    return service;
  }
}

function trafficAction(step: PlannedStep): TrafficAction {
  if (step.irreversible) {
    throw new PermanentStepError(
      `step ${step.index} "${step.name}" is irreversible: a person must carry it out`,
    );
  }
  const action = step.action;
  if (action.type !== 'shift-traffic' && action.type !== 'swap-blue-green') {
    throw new PermanentStepError(
      `the nginx target handles shift-traffic and swap-blue-green steps, not ${action.type}`,
    );
  }
  return action;
}

function alreadyApplied(key: string, record: StepRecord): string {
  return `already applied (key ${key.slice(0, 12)}…): ${describeState(record.target)}; not applied again`;
}
