import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CompensationOutcome, PlannedStep, ResolvedAction } from '../../model/plan';
import type { DeploymentInfo } from '../../model/guardian';
import { verifyDigestSignature } from '../../security/artifact-signature';
import { KeyFileError, loadTrustedKeys } from '../../security/keys';
import { PermanentStepError, StepVerificationError } from '../errors';
import { rethrowAs } from '../support/rethrow';
import type { ApplyResult, RollbackTarget, StepContext } from '../types';
import { type ArtifactTargetConfig, type LocalProcessService } from './config';
import { ReleaseContentError } from './digest';
import {
  activateRelease,
  currentVersion,
  findReleaseByDigest,
  readManifest,
  type Release,
  releaseDir,
  serviceDir,
  signatureFile,
} from './releases';
import { restartService } from './restart';
import { describeReading, readRunningVersion, waitForDigest } from './running-version';
import { ArtifactStepJournal, type ReleaseRef } from './step-journal';

type RevertArtifact = Extract<ResolvedAction, { type: 'revert-artifact' }>;

export interface ArtifactTargetOptions {
  now?: () => Date;
}

/**
 * `revert-artifact` for services run as local processes from a releases
 * directory (layout in ./releases.ts). apply finds the release whose files
 * hash to the step's digest, checks its detached signature by the step's
 * `signedBy` key against the trusted keys file, and only then snapshots what
 * runs, switches `current` atomically, restarts the service and waits until
 * it reports the digest. A release that is missing, altered, unsigned or
 * signed by an unknown key is refused with a PermanentStepError before
 * anything changes: the guardian then escalates and audits the reason.
 */
export class ArtifactTarget implements RollbackTarget {
  readonly name = 'artifact (local process)';
  private readonly journal: ArtifactStepJournal;
  private readonly now: () => Date;

  constructor(
    private readonly config: ArtifactTargetConfig,
    options: ArtifactTargetOptions = {},
  ) {
    this.journal = new ArtifactStepJournal(
      config.journalFile ?? path.join(config.releasesDir, '.ripcord', 'artifact-steps.jsonl'),
    );
    this.now = options.now ?? (() => new Date());
  }

  get journalFile(): string {
    return this.journal.path;
  }

  serves(deployment: DeploymentInfo): string | undefined {
    if (Object.hasOwn(this.config.services, deployment.service)) return undefined;
    const known = Object.keys(this.config.services).join(', ') || 'none';
    return `no local-process service "${deployment.service}" is configured (configured: ${known})`;
  }

  async apply(step: PlannedStep, ctx: StepContext): Promise<ApplyResult> {
    const action = revertAction(step);
    const service = ctx.deployment.service;
    const settings = this.serviceSettings(service);
    const key = step.idempotencyKey;
    const record = await this.journal.step(key);
    if (record.compensated) {
      throw new PermanentStepError(
        `step ${step.index} "${step.name}" was already undone; it needs a new plan`,
      );
    }
    if (record.applied) {
      const live = await currentVersion(this.config.releasesDir, service);
      const drift =
        live === record.applied.release.version ? '' : `; note: current now points to ${live ?? 'nothing'}`;
      return {
        applied: false,
        detail: `already applied (key ${key.slice(0, 12)}…): ${service} ${record.applied.release.version} (${action.digest})${drift}`,
      };
    }

    // Everything that can refuse the step is checked before anything changes.
    const release = await this.locate(service, action.digest);
    await this.checkSignature(release, action.signedBy);
    ctx.heartbeat({ step: step.index, phase: 'signature verified', version: release.version });

    const target: ReleaseRef = { version: release.version, digest: release.digest };
    const live = await currentVersion(this.config.releasesDir, service).catch((error: unknown) => {
      throw new PermanentStepError(messageOf(error));
    });
    const before = record.begin
      ? record.begin.before
      : live === null
        ? null
        : await this.refOf(service, live);
    await this.journal.update(key, (current) =>
      current.begin
        ? { result: undefined }
        : { append: [{ kind: 'begin', key, service, at: this.at(), target, before }], result: undefined },
    );

    const running = await readRunningVersion(settings.versionUrl, ctx.signal);
    const alreadyLive = live === release.version && running.ok && running.running.digest === release.digest;
    if (!alreadyLive) {
      if (live !== release.version) await this.switchTo(service, release.version);
      ctx.heartbeat({ step: step.index, phase: 'switched', version: release.version });
      await this.restartAndWait(service, settings, release, ctx, { step: step.index });
    }

    const changedByThisKey = !alreadyLive || record.begin !== undefined;
    const from = before ? `${before.version} → ` : '';
    return this.journal.update<ApplyResult>(key, (current) => {
      if (current.applied)
        return {
          result: { applied: false, detail: 'applied meanwhile by another attempt: not applied again' },
        };
      return {
        append: [{ kind: 'applied', key, service, at: this.at(), release: target }],
        result: changedByThisKey
          ? {
              applied: true,
              detail: `${service} ${from}${release.version} (${release.digest}), signature by "${action.signedBy}" verified`,
            }
          : {
              applied: false,
              detail: `${service} already ran ${release.version} (${release.digest}): nothing changed`,
            },
      };
    });
  }

  async verify(step: PlannedStep, ctx: StepContext): Promise<string> {
    const action = revertAction(step);
    const service = ctx.deployment.service;
    const settings = this.serviceSettings(service);
    const record = await this.journal.step(step.idempotencyKey);
    const version = record.applied?.release.version ?? record.begin?.target.version;
    if (version === undefined) {
      throw new StepVerificationError(`step ${step.index} "${step.name}" has not put any release live yet`);
    }
    const running = await readRunningVersion(settings.versionUrl, ctx.signal);
    if (!running.ok) throw new StepVerificationError(`${service}: ${running.problem}`);
    if (running.running.digest !== action.digest || running.running.version !== version) {
      throw new StepVerificationError(
        `expected ${service} to run ${version} (${action.digest}), it reports ${describeReading(running)}`,
      );
    }
    const live = await currentVersion(this.config.releasesDir, service);
    if (live !== version) {
      throw new StepVerificationError(
        `${service} runs ${version}, but current points to ${live ?? 'nothing'}`,
      );
    }
    return `${service} runs ${version} (${action.digest}) from releases/${version}`;
  }

  async compensate(step: PlannedStep, ctx: StepContext): Promise<CompensationOutcome> {
    revertAction(step);
    const service = ctx.deployment.service;
    const settings = this.serviceSettings(service);
    const key = step.idempotencyKey;
    const record = await this.journal.step(key);
    if (record.begin === undefined) return { compensated: false, detail: 'never applied: nothing to undo' };
    if (record.compensated) {
      const restored = record.compensated.restored;
      return {
        compensated: restored !== null,
        detail: restored
          ? `already undone: ${service} ${describeRef(restored)}`
          : 'already handled: nothing was live before the step',
      };
    }
    const before = record.begin.before;
    if (before === null) {
      await this.journal.update(key, (current) =>
        current.compensated
          ? { result: undefined }
          : {
              append: [{ kind: 'compensated', key, service, at: this.at(), restored: null }],
              result: undefined,
            },
      );
      return {
        compensated: false,
        detail: `no release was live before the step; left ${record.begin.target.version} in place rather than stop ${service}`,
      };
    }

    const live = await currentVersion(this.config.releasesDir, service);
    const running = await readRunningVersion(settings.versionUrl, ctx.signal);
    const restoredAlready =
      live === before.version &&
      running.ok &&
      before.digest !== null &&
      running.running.digest === before.digest;
    if (!restoredAlready) {
      if (live !== before.version) await this.switchTo(service, before.version);
      ctx.heartbeat({ step: step.index, phase: 'compensate: switched', version: before.version });
      await this.restartAndWait(service, settings, before, ctx, { step: step.index, phase: 'compensate' });
    }
    await this.journal.update(key, (current) =>
      current.compensated
        ? { result: undefined }
        : {
            append: [{ kind: 'compensated', key, service, at: this.at(), restored: before }],
            result: undefined,
          },
    );
    return { compensated: true, detail: `restored ${service} ${describeRef(before)}` };
  }

  private serviceSettings(service: string): LocalProcessService {
    const settings = Object.prototype.hasOwnProperty.call(this.config.services, service)
      ? this.config.services[service]
      : undefined;
    if (settings === undefined) {
      const known = Object.keys(this.config.services).join(', ') || 'none';
      throw new PermanentStepError(
        `the artifact target has no local-process service "${service}" (configured: ${known})`,
      );
    }
    return settings;
  }

  private async locate(service: string, digest: string): Promise<Release> {
    let lookup;
    try {
      lookup = await findReleaseByDigest(this.config.releasesDir, service, digest);
    } catch (error) {
      throw new PermanentStepError(
        `cannot look for ${digest} among the releases of ${service}: ${messageOf(error)}`,
      );
    }
    if (lookup.kind === 'found') return lookup.release;
    if (lookup.kind === 'tampered') {
      throw new PermanentStepError(
        `refusing to deploy ${digest}: release ${lookup.version} of ${service} claims it, but ${lookup.problem} (altered or incomplete)`,
      );
    }
    const known = lookup.versions.join(', ') || 'none';
    throw new PermanentStepError(`no release of ${service} has digest ${digest} (releases: ${known})`);
  }

  private async checkSignature(release: Release, keyId: string): Promise<void> {
    const file = signatureFile(this.config.releasesDir, release.service, release.version);
    let signature: string;
    try {
      signature = await readFile(file, 'utf8');
    } catch {
      throw new PermanentStepError(
        `refusing to deploy ${release.digest}: release ${release.version} of ${release.service} is not signed (no ${path.basename(file)})`,
      );
    }
    let trustedKeys;
    try {
      trustedKeys = await loadTrustedKeys(this.config.trustedKeysFile);
    } catch (error) {
      const reason = error instanceof KeyFileError ? error.message : 'cannot load the trusted keys';
      throw new PermanentStepError(`refusing to deploy ${release.digest}: ${reason}`);
    }
    const check = verifyDigestSignature({ digest: release.digest, signature, keyId, trustedKeys });
    if (!check.ok) {
      throw new PermanentStepError(
        `refusing to deploy ${release.digest} (${release.service} ${release.version}): signature ${check.reason}: ${check.message}`,
      );
    }
  }

  private async restartAndWait(
    service: string,
    settings: LocalProcessService,
    release: ReleaseRef,
    ctx: StepContext,
    progress: Record<string, unknown>,
  ): Promise<void> {
    await restartService(settings.restart, {
      service,
      version: release.version,
      releaseDir: releaseDir(this.config.releasesDir, service, release.version),
      cwd: serviceDir(this.config.releasesDir, service),
      signal: ctx.signal,
    });
    ctx.heartbeat({ ...progress, phase: 'restarted', version: release.version });
    if (release.digest === null) return;
    const { reached, last } = await waitForDigest(
      settings.versionUrl,
      release.digest,
      settings.readyTimeoutSeconds,
      ctx,
      progress,
    );
    if (!reached) {
      // Retryable: the next attempt switches (already done) and restarts again.
      throw new Error(
        `${service} did not report ${release.version} (${release.digest}) within ${settings.readyTimeoutSeconds}s of the restart; last seen: ${describeReading(last)}`,
      );
    }
  }

  private async switchTo(service: string, version: string): Promise<void> {
    // A missing release or a `current` that is not a symlink will not fix itself.
    await rethrowAs(
      () => activateRelease({ releasesDir: this.config.releasesDir, service, version }),
      ReleaseContentError,
      PermanentStepError,
    );
  }

  /** A version with its digest from its manifest (null when the manifest cannot be read). */
  private async refOf(service: string, version: string): Promise<ReleaseRef> {
    try {
      const manifest = await readManifest(releaseDir(this.config.releasesDir, service, version));
      return { version, digest: manifest.digest };
    } catch (error) {
      if (error instanceof ReleaseContentError) return { version, digest: null };
      throw error;
    }
  }

  private at(): string {
    return this.now().toISOString();
  }
}

function revertAction(step: PlannedStep): RevertArtifact {
  if (step.action.type !== 'revert-artifact') {
    throw new PermanentStepError(`the artifact target cannot carry out "${step.action.type}" steps`);
  }
  return step.action;
}

function describeRef(ref: ReleaseRef): string {
  return ref.digest ? `${ref.version} (${ref.digest})` : ref.version;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
