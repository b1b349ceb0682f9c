import type { ResolvedAction } from '../../model/plan';
import type { DeploymentInfo } from '../../model/guardian';
import { AppendOnlyJsonl } from '../support/append-only-file';
import { applyChanges, initialState, type SimulatedState, type StateChange } from './state';

/** Which simulated production an entry belongs to. */
export interface JournalScope {
  environment: string;
  service: string;
  deploymentId: string;
}

interface EntryCommon {
  /** The step's idempotency key: the journal's unit of "applied once". */
  key: string;
  at: string;
  scope: JournalScope;
}

/**
 * The journal's lines. A step writes `begin` (with what it found), then one
 * `stage` per traffic stage, then `applied`; compensation writes
 * `compensated`. The simulated state is the fold of these lines.
 */
export type JournalEntry =
  | (EntryCommon & {
      kind: 'begin';
      planHash: string;
      index: number;
      name: string;
      action: ResolvedAction;
      before: StateChange[];
    })
  | (EntryCommon & { kind: 'stage'; stage: number; weight: number })
  | (EntryCommon & { kind: 'applied'; after: StateChange[] })
  | (EntryCommon & { kind: 'compensated'; restored: StateChange[] });

export function scopeOf(deployment: DeploymentInfo): JournalScope {
  return {
    environment: deployment.environment,
    service: deployment.service,
    deploymentId: deployment.deploymentId,
  };
}

function sameScope(a: JournalScope, b: JournalScope): boolean {
  return a.environment === b.environment && a.service === b.service && a.deploymentId === b.deploymentId;
}

/** What the journal says about one step. */
export interface StepRecord {
  begin?: Extract<JournalEntry, { kind: 'begin' }>;
  stages: number[];
  applied?: Extract<JournalEntry, { kind: 'applied' }>;
  compensated?: Extract<JournalEntry, { kind: 'compensated' }>;
}

/** A snapshot of the journal: read once per decision, never cached across calls. */
export class JournalView {
  constructor(readonly entries: readonly JournalEntry[]) {}

  step(key: string): StepRecord {
    const record: StepRecord = { stages: [] };
    for (const entry of this.entries) {
      if (entry.key !== key) continue;
      if (entry.kind === 'stage') record.stages.push(entry.stage);
      else if (entry.kind === 'begin') record.begin ??= entry;
      else if (entry.kind === 'applied') record.applied ??= entry;
      else record.compensated ??= entry;
    }
    return record;
  }

  state(deployment: DeploymentInfo, overrides?: Partial<SimulatedState>): SimulatedState {
    const scope = scopeOf(deployment);
    let state = initialState(deployment, overrides);
    for (const entry of this.entries) {
      if (!sameScope(entry.scope, scope)) continue;
      if (entry.kind === 'stage')
        state = applyChanges(state, [{ field: 'canaryWeight', value: entry.weight }]);
      else if (entry.kind === 'applied') state = applyChanges(state, entry.after);
      else if (entry.kind === 'compensated') state = applyChanges(state, entry.restored);
    }
    return state;
  }

  /** How many times each key was applied: the proof of "exactly once" (every count must be 1). */
  appliedCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const entry of this.entries) {
      if (entry.kind === 'applied') counts.set(entry.key, (counts.get(entry.key) ?? 0) + 1);
    }
    return counts;
  }
}

export class Journal {
  private readonly file: AppendOnlyJsonl<JournalEntry>;

  constructor(readonly path: string) {
    this.file = new AppendOnlyJsonl<JournalEntry>(path);
  }

  async view(): Promise<JournalView> {
    return new JournalView(await this.file.readAll());
  }

  /**
   * Reads the journal and, under its lock, lets `decide` choose what to append
   * from what it finds: two processes can never both append for the same step.
   */
  async update<R>(decide: (view: JournalView) => { append?: JournalEntry[]; result: R }): Promise<R> {
    return this.file.withLock(async () => {
      const { append = [], result } = decide(await this.view());
      for (const entry of append) await this.file.append(entry);
      return result;
    });
  }
}
