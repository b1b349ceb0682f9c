/**
 * Who a person is, compared one way everywhere. Token subjects, roles, the
 * deployer named by the pipeline and the owners named by the policy are all
 * compared after this: Unicode compatibility normalisation (NFKC, so a
 * full-width "Ｄａｖｅ" is "Dave") and lower case (so "Dave" is "dave").
 * Pure and deterministic: the workflow and the activities both use it.
 */
export function normalizeIdentity(name: string): string {
  return name.normalize('NFKC').toLowerCase().trim();
}

/** True when two names denote the same person (or role). */
export function sameIdentity(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return normalizeIdentity(a) === normalizeIdentity(b);
}
