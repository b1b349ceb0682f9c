import type { CompensationOutcome, PlannedStep, ResolvedAction } from '../../model/plan';
import type { SecretProvider } from '../../security/secrets';
import { type CircuitBreakers, sharedCircuitBreakers } from '../support/circuit-breaker';
import { PermanentStepError, StepVerificationError } from '../errors';
import { resolveStepSecret } from '../support/step-secret';
import type { ApplyResult, RollbackTarget, StepContext } from '../types';
import { type FeatureView, UnleashAdminClient } from './admin-client';
import { RECORD_TAG_DESCRIPTION, RECORD_TAG_TYPE, readRecord, recordTag } from './rollback-record';
import { UnleashTargetConfig, type UnleashTargetConfigInput } from './config';

export interface UnleashFlagTargetOptions {
  /** Where `tokenSecret` is looked up; default: the environment (RIPCORD_SECRET_<NAME>). */
  secrets?: SecretProvider;
  /** Default: the worker's shared circuits, so every guardian sees the same Unleash state. */
  breakers?: CircuitBreakers;
}

type DisableFlag = Extract<ResolvedAction, { type: 'disable-flag' }>;

/**
 * `disable-flag` steps on Unleash: turns the flag off in the deployment's
 * environment through the Admin API, reads it back, and on compensation turns
 * it on again only if it was on before the step. What the flag was before is
 * recorded in Unleash itself (see rollback-record.ts) under the step's
 * idempotency key, so a retry on any worker neither applies the step twice nor
 * forgets what to restore.
 */
export class UnleashFlagTarget implements RollbackTarget {
  readonly name: string;
  private readonly config: UnleashTargetConfig;
  private readonly breakers: CircuitBreakers;
  private tagTypeReady = false;

  constructor(
    config: UnleashTargetConfigInput,
    private readonly options: UnleashFlagTargetOptions = {},
  ) {
    this.config = UnleashTargetConfig.parse(config);
    this.breakers = options.breakers ?? sharedCircuitBreakers();
    this.name = `unleash (${new URL(this.config.url).origin})`;
  }

  async apply(step: PlannedStep, ctx: StepContext): Promise<ApplyResult> {
    const { flag, project, environment, client, feature, record, where } = await this.readFlag(step, ctx);
    const enabled = enabledIn(feature, environment);
    if (record.undone) {
      throw new PermanentStepError(
        `step ${step.index} "${step.name}" was already undone; it needs a new plan`,
      );
    }
    ctx.heartbeat({ step: step.index, flag, enabled });

    // The snapshot is written before the flag is touched: a crash in between leaves a record that
    // says what to restore, never a flag turned off with nothing saying it was on.
    if (record.wasOn === undefined) {
      await this.ensureTagType(client, ctx);
      await client.addTag(flag, recordTag(step.idempotencyKey, enabled ? 'was-on' : 'was-off'), ctx.signal);
    }
    if (enabled) {
      await client.switchEnvironment(project, flag, environment, false, ctx.signal);
      return { applied: true, detail: `${where}: on → off` };
    }
    if (record.wasOn !== undefined) {
      return {
        applied: false,
        detail: `${where} already off (key ${step.idempotencyKey.slice(0, 12)}…): not applied again`,
      };
    }
    return { applied: true, detail: `${where} was already off: nothing to change` };
  }

  async verify(step: PlannedStep, ctx: StepContext): Promise<string> {
    const { flag, project } = actionOf(step);
    const environment = this.environment(ctx);
    const feature = await this.client().feature(project, flag, ctx.signal);
    if (enabledIn(feature, environment)) {
      throw new StepVerificationError(
        `feature flag "${flag}" (project ${project}) is still on in ${environment}`,
      );
    }
    return `feature flag "${flag}" (project ${project}) off in ${environment}`;
  }

  async compensate(step: PlannedStep, ctx: StepContext): Promise<CompensationOutcome> {
    const { flag, project, environment, client, feature, record, where } = await this.readFlag(step, ctx);
    if (record.wasOn === undefined) return { compensated: false, detail: 'never applied: nothing to undo' };
    if (record.undone) {
      return { compensated: true, detail: `already undone: ${where} ${record.wasOn ? 'on' : 'left off'}` };
    }
    ctx.heartbeat({ step: step.index, flag, compensating: true });

    let detail: string;
    if (!record.wasOn) {
      detail = `${where} was off before the step: left off`;
    } else if (enabledIn(feature, environment)) {
      detail = `${where} already on again`;
    } else {
      await client.switchEnvironment(project, flag, environment, true, ctx.signal);
      detail = `${where}: off → on (as before the step)`;
    }
    await client.addTag(flag, recordTag(step.idempotencyKey, 'undone'), ctx.signal);
    return { compensated: true, detail };
  }

  /** The flag as it stands and the step's record on it: where apply and compensate both start. */
  private async readFlag(step: PlannedStep, ctx: StepContext) {
    const { flag, project } = actionOf(step);
    const environment = this.environment(ctx);
    const client = this.client();
    const feature = await client.feature(project, flag, ctx.signal);
    const record = readRecord(await client.tags(flag, ctx.signal), step.idempotencyKey);
    const where = `feature flag "${flag}" (project ${project}) in ${environment}`;
    return { flag, project, environment, client, feature, record, where };
  }

  private environment(ctx: StepContext): string {
    return this.config.environment ?? ctx.deployment.environment;
  }

  /** A client with the token resolved now, at use (DESIGN §5). */
  private client(): UnleashAdminClient {
    return new UnleashAdminClient({
      baseUrl: this.config.url,
      token: resolveStepSecret(this.config.tokenSecret, this.options.secrets, 'Unleash token'),
      timeoutMs: this.config.timeoutSeconds * 1000,
      breakers: this.breakers,
    });
  }

  private async ensureTagType(client: UnleashAdminClient, ctx: StepContext): Promise<void> {
    if (this.tagTypeReady) return;
    await client.ensureTagType(RECORD_TAG_TYPE, RECORD_TAG_DESCRIPTION, ctx.signal);
    this.tagTypeReady = true;
  }
}

function actionOf(step: PlannedStep): DisableFlag {
  if (step.action.type !== 'disable-flag') {
    throw new PermanentStepError(`the Unleash target handles disable-flag steps, not "${step.action.type}"`);
  }
  return step.action;
}

/** Whether the flag is on in the environment; an environment the flag does not have is a configuration error. */
function enabledIn(feature: FeatureView, environment: string): boolean {
  const env = feature.environments.find((candidate) => candidate.name === environment);
  if (env === undefined) {
    const known = feature.environments.map((candidate) => candidate.name).join(', ') || 'none';
    throw new PermanentStepError(
      `feature flag "${feature.name}" (project ${feature.project}) has no environment "${environment}" ` +
        `(it has: ${known}); set the Unleash target's environment`,
    );
  }
  return env.enabled;
}
