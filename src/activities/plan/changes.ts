import type { DeploymentInfo } from '../../model/guardian';
import type { ResolvedAction } from '../../model/plan';
import { safeUrl } from '../../targets/support/safe-url';

/** One line per step saying what it changes, for people reading the plan or approving it. */
export function describeAction(
  action: ResolvedAction,
  deployment: DeploymentInfo,
  fromWeight: number,
): string {
  switch (action.type) {
    case 'shift-traffic': {
      const path = [fromWeight, ...action.weights].map((w) => `${w}%`).join(' → ');
      const pause = action.weights.length > 1 ? ` (${action.pauseSeconds}s between stages)` : ' (one stage)';
      return `canary weight ${path}${pause}`;
    }
    case 'swap-blue-green':
      return `live colour: new version ${deployment.version} → previous version ${deployment.previousVersion}`;
    case 'revert-artifact': {
      const from = deployment.artifactDigest ?? `the artifact of ${deployment.version}`;
      return `artifact ${from} → ${action.digest} (${deployment.previousVersion}), once its signature by key ${action.signedBy} verifies`;
    }
    case 'disable-flag':
      return `feature flag "${action.flag}" (project ${action.project}): on → off`;
    case 'down-migration':
      return action.reversible
        ? `database: roll back migration ${action.migration}`
        : `database: migration ${action.migration} cannot be undone by a machine; the guardian freezes here and hands over to a person`;
    case 'webhook':
      return `${action.method} ${safeUrl(action.url)} (signed)`;
  }
}
