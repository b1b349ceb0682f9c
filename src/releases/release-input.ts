import type { DeploymentInfo } from '../model/guardian';
import type { ReleaseInput } from '../model/release';
import type { LoadedRelease } from './release-file';

export interface ReleaseStart {
  /** The pipeline's id for this release: every member's deployment id, and what approval tokens name. */
  releaseId: string;
  deployer?: string;
  now: Date;
}

/**
 * The release workflow's input from a checked release file: each member a
 * deployment (its deployment id is the release id: its guardian is
 * `ripcord/<env>/<service>/<release id>`), with its own policy pinned by hash.
 */
export function releaseInputFrom(loaded: LoadedRelease, start: ReleaseStart): ReleaseInput {
  const startedAt = start.now.toISOString();
  return {
    releaseId: start.releaseId,
    name: loaded.name,
    environment: loaded.environment,
    mode: loaded.mode,
    ...(start.deployer !== undefined ? { deployer: start.deployer } : {}),
    startedAt,
    members: loaded.members.map((m) => {
      const deployment: DeploymentInfo = {
        deploymentId: start.releaseId,
        service: m.service,
        environment: loaded.environment,
        version: m.version,
        previousVersion: m.previousVersion,
        deployedAt: startedAt,
        ...(m.artifactDigest !== undefined ? { artifactDigest: m.artifactDigest } : {}),
        ...(m.previousDigest !== undefined ? { previousDigest: m.previousDigest } : {}),
        ...(start.deployer !== undefined ? { deployer: start.deployer } : {}),
      };
      return { deployment, policy: m.policy.policy, policyHash: m.policy.hash, dependsOn: [...m.dependsOn] };
    }),
    outside: loaded.outside.map((o) => ({
      service: o.service,
      version: o.version,
      policy: o.policy.policy,
      policyHash: o.policy.hash,
      dependsOn: [...o.dependsOn],
    })),
    settleSeconds: loaded.settleSeconds,
    ...(loaded.watchSeconds !== undefined ? { watchSeconds: loaded.watchSeconds } : {}),
  };
}
