import { PLAN_STEP_TYPES } from '../policy';
import type { DeploymentInfo } from '../model/guardian';
import { PermanentStepError } from './errors';
import type { ActionType, RollbackTarget } from './types';

// Every step type a policy can name: the policy schema's list is the one source of truth.
const ACTION_TYPES: readonly ActionType[] = PLAN_STEP_TYPES;

/**
 * Which target carries out each action type. Explicit and closed: an action
 * without a registered target fails the step permanently, it never falls
 * through to some default that might touch the wrong thing.
 */
export class TargetRegistry {
  private readonly targets: ReadonlyMap<ActionType, RollbackTarget>;

  constructor(targets: Partial<Record<ActionType, RollbackTarget>>) {
    this.targets = new Map(
      Object.entries(targets).filter(
        (entry): entry is [ActionType, RollbackTarget] => entry[1] !== undefined,
      ),
    );
  }

  /** The target for an action type; throws PermanentStepError when none is registered. */
  resolve(type: string): RollbackTarget {
    const target = this.targets.get(type as ActionType);
    if (target === undefined) {
      throw new PermanentStepError(
        `no rollback target handles "${type}" steps in this worker (registered: ${this.describe()})`,
      );
    }
    return target;
  }

  /**
   * Whether this registry carries out `type` steps for the deployment: a
   * target is registered for the type, and it serves the deployment (a target
   * addressed by service has that service configured). Never throws.
   */
  serves(type: string, deployment: DeploymentInfo): { ok: true } | { ok: false; reason: string } {
    const target = this.targets.get(type as ActionType);
    if (target === undefined) {
      return {
        ok: false,
        reason: `no rollback target handles "${type}" steps in this worker (registered: ${this.describe()})`,
      };
    }
    const refused = target.serves?.(deployment);
    return refused === undefined ? { ok: true } : { ok: false, reason: `${target.name}: ${refused}` };
  }

  describe(): string {
    const entries = [...this.targets.entries()].map(([type, target]) => `${type} → ${target.name}`);
    return entries.length === 0 ? 'none' : entries.join(', ');
  }
}

/** Dry-run mode (rehearse, demo, tests): every action goes to one target, normally the recording one. */
export function dryRunTargetRegistry(target: RollbackTarget): TargetRegistry {
  return new TargetRegistry(Object.fromEntries(ACTION_TYPES.map((type) => [type, target])));
}
