import path from 'node:path';
import type { CompensationOutcome, PlannedStep } from '../../model/plan';
import { PermanentStepError, StepVerificationError } from '../errors';
import type { ApplyResult, RollbackTarget, StepContext } from '../types';
import { FaultInjector, type StepFault } from './faults';
import { Journal, type JournalEntry, type JournalView, scopeOf } from './journal';
import { currentValues, describeChanges, holds, intendedChanges, type SimulatedState } from './state';
import { heartbeatingPause } from '../support/pause';
import { safeUrl } from '../support/safe-url';

export interface RecordingTargetOptions {
  /** The JSONL journal; several processes may share it. */
  journalFile: string;
  /** Multiplies the pauses between traffic stages (rehearse passes 1/speed; tests pass 0). Default 1. */
  pauseScale?: number;
  faults?: StepFault[];
  /** The simulated production before any step (for example the canary weight at deploy time). */
  initial?: Partial<SimulatedState>;
  now?: () => Date;
}

export const DEFAULT_JOURNAL_FILE = path.join('.ripcord', 'dry-run', 'journal.jsonl');

/**
 * The dry-run target: performs every action on a simulated production and
 * records it in an append-only journal keyed by idempotency key. A key already
 * applied is never applied again, in this process or any other, which is how a
 * rehearsal proves that a rollback interrupted by a worker crash ran every step
 * exactly once.
 */
export class RecordingTarget implements RollbackTarget {
  readonly name = 'recording (dry run)';
  private readonly journal: Journal;
  private readonly faults: FaultInjector;
  private readonly now: () => Date;

  constructor(private readonly options: RecordingTargetOptions) {
    this.journal = new Journal(options.journalFile);
    this.faults = new FaultInjector(options.faults);
    this.now = options.now ?? (() => new Date());
  }

  get journalFile(): string {
    return this.journal.path;
  }

  /** The journal as it stands, for tests and for `rehearse` to report what was applied. */
  view(): Promise<JournalView> {
    return this.journal.view();
  }

  async state(deployment: StepContext['deployment']): Promise<SimulatedState> {
    return (await this.journal.view()).state(deployment, this.options.initial);
  }

  async apply(step: PlannedStep, ctx: StepContext): Promise<ApplyResult> {
    if (step.irreversible) {
      throw new PermanentStepError(
        `step ${step.index} "${step.name}" is irreversible: a person must carry it out`,
      );
    }
    const key = step.idempotencyKey;
    const common = () => ({ key, at: this.now().toISOString(), scope: scopeOf(ctx.deployment) });

    const started = await this.journal.update((view) => {
      const record = view.step(key);
      if (record.compensated) return { result: 'compensated' as const };
      if (record.applied) return { result: 'applied' as const };
      if (record.begin) return { result: 'resume' as const };
      return { result: 'fresh' as const };
    });
    if (started === 'compensated') {
      throw new PermanentStepError(
        `step ${step.index} "${step.name}" was already undone; it needs a new plan`,
      );
    }
    if (started === 'applied') {
      return { applied: false, detail: `already applied (key ${key.slice(0, 12)}…): not applied again` };
    }
    this.faults.check(step.index, key, 'apply');

    await this.journal.update((view) => {
      if (view.step(key).begin) return { result: undefined };
      const state = view.state(ctx.deployment, this.options.initial);
      const begin: JournalEntry = {
        ...common(),
        kind: 'begin',
        planHash: ctx.planHash,
        index: step.index,
        name: step.name,
        action: step.action,
        before: currentValues(step.action, state),
      };
      return { append: [begin], result: undefined };
    });
    ctx.heartbeat({ step: step.index, phase: 'begun' });

    if (step.action.type === 'shift-traffic') {
      await this.shiftTraffic(step, step.action, ctx, common);
    } else {
      this.faults.check(step.index, key, 'apply', true);
    }

    return this.journal.update<ApplyResult>((view) => {
      if (view.step(key).applied) {
        return {
          result: { applied: false, detail: 'applied meanwhile by another attempt: not applied again' },
        };
      }
      const after = intendedChanges(step.action);
      const entry: JournalEntry = { ...common(), kind: 'applied', after };
      return { append: [entry], result: { applied: true, detail: describeChanges(after) } };
    });
  }

  /** Stage by stage, resuming after the last stage the journal holds (a retry after a crash). */
  private async shiftTraffic(
    step: PlannedStep,
    action: Extract<PlannedStep['action'], { type: 'shift-traffic' }>,
    ctx: StepContext,
    common: () => Pick<JournalEntry, 'key' | 'at' | 'scope'>,
  ): Promise<void> {
    const done = (await this.journal.view()).step(step.idempotencyKey).stages;
    for (let stage = 0; stage < action.weights.length; stage++) {
      if (done.includes(stage)) continue;
      if (stage > 0) {
        const pauseMs = action.pauseSeconds * 1000 * (this.options.pauseScale ?? 1);
        await heartbeatingPause(pauseMs, ctx, { step: step.index, pausingBefore: stage });
      }
      const weight = action.weights[stage] ?? 0;
      await this.journal.update((view) => {
        if (view.step(step.idempotencyKey).stages.includes(stage)) return { result: undefined };
        return { append: [{ ...common(), kind: 'stage', stage, weight }], result: undefined };
      });
      ctx.heartbeat({ step: step.index, stage, weight });
      if (stage === 0) this.faults.check(step.index, step.idempotencyKey, 'apply', true);
    }
  }

  async verify(step: PlannedStep, ctx: StepContext): Promise<string> {
    this.faults.check(step.index, step.idempotencyKey, 'verify');
    const view = await this.journal.view();
    const record = view.step(step.idempotencyKey);
    if (!record.applied) {
      throw new StepVerificationError(`step ${step.index} "${step.name}" is not recorded as applied`);
    }
    const state = view.state(ctx.deployment, this.options.initial);
    const expected = record.applied.after;
    if (!holds(state, expected)) {
      throw new StepVerificationError(
        `expected ${describeChanges(expected)}, read back ${describeChanges(currentValues(step.action, state))}`,
      );
    }
    if (step.action.type === 'webhook') {
      return `${step.action.method} ${safeUrl(step.action.url)} recorded`;
    }
    return describeChanges(currentValues(step.action, state));
  }

  async compensate(step: PlannedStep, ctx: StepContext): Promise<CompensationOutcome> {
    this.faults.check(step.index, step.idempotencyKey, 'compensate');
    return this.journal.update<CompensationOutcome>((view) => {
      const record = view.step(step.idempotencyKey);
      if (record.begin === undefined) {
        return { result: { compensated: false, detail: 'never applied: nothing to undo' } };
      }
      if (record.compensated) {
        return {
          result: {
            compensated: true,
            detail: `already undone: ${describeChanges(record.compensated.restored)}`,
          },
        };
      }
      const restored = record.begin.before;
      const entry: JournalEntry = {
        key: step.idempotencyKey,
        at: this.now().toISOString(),
        scope: scopeOf(ctx.deployment),
        kind: 'compensated',
        restored,
      };
      const detail =
        step.action.type === 'webhook'
          ? 'nothing to restore: a webhook call cannot be recalled'
          : `restored ${describeChanges(restored)}`;
      return { append: [entry], result: { compensated: true, detail } };
    });
  }
}
