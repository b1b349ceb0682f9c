import type { ResolvedAction } from '../../model/plan';
import type { DeploymentInfo } from '../../model/guardian';

/**
 * The production a dry run pretends to change. One state per deployment,
 * rebuilt from the journal on every call, so that every worker process sees
 * the same thing.
 */
export interface SimulatedState {
  /** The new version's share of traffic in percent; null: as deployed (the dry run was not told). */
  canaryWeight: number | null;
  /** Blue-green: green runs the new version, blue the previous one. */
  activeColour: 'green' | 'blue';
  /** The artifact running; null: as deployed, when the pipeline gave no digest. */
  runningDigest: string | null;
  /** Flags switched by a step; a flag not listed is as deployed (on). */
  flags: Record<string, boolean>;
  /** Migrations whose down-migration ran, in order. */
  migrationsRolledBack: string[];
}

/** One field set to one value: what a step changed, or what it found before it changed it. */
export type StateChange =
  | { field: 'canaryWeight'; value: number | null }
  | { field: 'activeColour'; value: 'green' | 'blue' }
  | { field: 'runningDigest'; value: string | null }
  | { field: 'flag'; flag: string; enabled: boolean | null }
  | { field: 'migration'; migration: string; rolledBack: boolean };

export function initialState(
  deployment: DeploymentInfo,
  overrides: Partial<SimulatedState> = {},
): SimulatedState {
  return {
    canaryWeight: null,
    activeColour: 'green',
    runningDigest: deployment.artifactDigest ?? null,
    flags: {},
    migrationsRolledBack: [],
    ...overrides,
  };
}

export function applyChanges(state: SimulatedState, changes: readonly StateChange[]): SimulatedState {
  let next = { ...state, flags: { ...state.flags }, migrationsRolledBack: [...state.migrationsRolledBack] };
  for (const change of changes) {
    switch (change.field) {
      case 'canaryWeight':
        next = { ...next, canaryWeight: change.value };
        break;
      case 'activeColour':
        next = { ...next, activeColour: change.value };
        break;
      case 'runningDigest':
        next = { ...next, runningDigest: change.value };
        break;
      case 'flag':
        if (change.enabled === null) delete next.flags[change.flag];
        else next.flags[change.flag] = change.enabled;
        break;
      case 'migration':
        next.migrationsRolledBack = next.migrationsRolledBack.filter((m) => m !== change.migration);
        if (change.rolledBack) next.migrationsRolledBack.push(change.migration);
        break;
    }
  }
  return next;
}

/** The fields an action sets, with the values it sets them to. */
export function intendedChanges(action: ResolvedAction): StateChange[] {
  switch (action.type) {
    case 'shift-traffic':
      return [{ field: 'canaryWeight', value: action.weights[action.weights.length - 1] ?? 0 }];
    case 'swap-blue-green':
      // Swapping back means the previous version's colour goes live, whatever is live now.
      return [{ field: 'activeColour', value: 'blue' }];
    case 'revert-artifact':
      return [{ field: 'runningDigest', value: action.digest }];
    case 'disable-flag':
      return [{ field: 'flag', flag: flagKey(action), enabled: false }];
    case 'down-migration':
      return [{ field: 'migration', migration: action.migration, rolledBack: true }];
    case 'webhook':
      return [];
  }
}

/** The same fields as `intendedChanges`, with the values they hold now: what compensation restores. */
export function currentValues(action: ResolvedAction, state: SimulatedState): StateChange[] {
  return intendedChanges(action).map((change): StateChange => {
    switch (change.field) {
      case 'canaryWeight':
        return { field: 'canaryWeight', value: state.canaryWeight };
      case 'activeColour':
        return { field: 'activeColour', value: state.activeColour };
      case 'runningDigest':
        return { field: 'runningDigest', value: state.runningDigest };
      case 'flag':
        return { field: 'flag', flag: change.flag, enabled: state.flags[change.flag] ?? null };
      case 'migration':
        return {
          field: 'migration',
          migration: change.migration,
          rolledBack: state.migrationsRolledBack.includes(change.migration),
        };
    }
  });
}

export function flagKey(action: Extract<ResolvedAction, { type: 'disable-flag' }>): string {
  return `${action.project}/${action.flag}`;
}

/** Whether the state holds every value in `changes`. */
export function holds(state: SimulatedState, changes: readonly StateChange[]): boolean {
  return changes.every((change) => {
    switch (change.field) {
      case 'canaryWeight':
        return state.canaryWeight === change.value;
      case 'activeColour':
        return state.activeColour === change.value;
      case 'runningDigest':
        return state.runningDigest === change.value;
      case 'flag':
        return (state.flags[change.flag] ?? null) === change.enabled;
      case 'migration':
        return state.migrationsRolledBack.includes(change.migration) === change.rolledBack;
    }
  });
}

export function describeChange(change: StateChange): string {
  switch (change.field) {
    case 'canaryWeight':
      return change.value === null ? 'canary weight as deployed' : `canary weight ${change.value}%`;
    case 'activeColour':
      return `live colour ${change.value} (${change.value === 'green' ? 'new' : 'previous'} version)`;
    case 'runningDigest':
      return change.value === null ? 'artifact as deployed' : `running artifact ${change.value}`;
    case 'flag':
      return `flag ${change.flag} ${change.enabled === null ? 'as deployed' : change.enabled ? 'on' : 'off'}`;
    case 'migration':
      return `migration ${change.migration} ${change.rolledBack ? 'rolled back' : 'applied'}`;
  }
}

export function describeChanges(changes: readonly StateChange[]): string {
  return changes.length === 0 ? 'no state changed' : changes.map(describeChange).join(', ');
}
