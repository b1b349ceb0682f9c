import { governanceRules } from './governance-rules';
import type { CrossIssue } from './issue';
import { planRules } from './plan-rules';
import { referencesResolve } from './references';
import { secretsAreReferences } from './secrets';
import { signalRules } from './signal-rules';
import type { PolicyView } from './view';

export type { CrossIssue } from './issue';
export { viewOfPolicy, viewOfRaw, type PolicyView } from './view';

const allRules = [secretsAreReferences, referencesResolve, ...signalRules, ...planRules, ...governanceRules];

/** Every rule that relates one part of a policy to another, run over whatever parts are valid. */
export function crossFieldIssues(view: PolicyView): CrossIssue[] {
  return allRules.flatMap((rule) => rule(view));
}
