import type { DeploymentInfo } from '../model/guardian';
import type { ReleaseInput } from '../model/release';
import { findCycle } from './graph';
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

/** What a release cannot run with (each member's deployment and policy are checked by its own admission). */
export function releaseInputProblems(input: ReleaseInput): string[] {
  if (typeof input !== 'object' || input === null) return ['input: required'];
  const problems: string[] = [];
  if (!Array.isArray(input.members) || input.members.length === 0) return ['members: at least one member'];
  if (!Array.isArray(input.outside)) problems.push('outside: must be a list');
  if (input.mode !== 'independent' && input.mode !== 'together')
    problems.push('mode: must be independent or together');
  if (typeof input.releaseId !== 'string' || input.releaseId === '') problems.push('releaseId: required');
  if (!(typeof input.settleSeconds === 'number' && input.settleSeconds >= 0 && input.settleSeconds <= 86_400))
    problems.push('settleSeconds: must be 0 to 86400');
  const services = [
    ...input.members.map((m) => m?.deployment?.service),
    ...(Array.isArray(input.outside) ? input.outside.map((o) => o?.service) : []),
  ];
  services.forEach((service, i) => {
    if (typeof service !== 'string' || service === '') problems.push(`services[${i}]: no service name`);
    else if (services.indexOf(service) !== i) problems.push(`${service}: listed twice`);
  });
  const graph: Record<string, string[]> = {};
  for (const entry of [...input.members, ...(Array.isArray(input.outside) ? input.outside : [])]) {
    const service = 'deployment' in entry ? entry.deployment?.service : entry.service;
    if (typeof service !== 'string') continue;
    const deps = Array.isArray(entry.dependsOn) ? entry.dependsOn : [];
    for (const dep of deps)
      if (!services.includes(dep))
        problems.push(`${service}.dependsOn: ${String(dep)} is not in the release`);
    graph[service] = deps;
  }
  const cycle = problems.length === 0 ? findCycle(graph) : null;
  if (cycle) problems.push(`dependsOn: a cycle ${cycle.join(' → ')}`);
  return problems;
}
