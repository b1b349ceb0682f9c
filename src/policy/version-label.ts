/**
 * A policy's `metadata.version` as its author wrote it, for people: a "v" goes
 * only before a bare number (3, 1.2), so '3' reads "v3", 'v3' stays "v3" and 'demo-1'
 * stays "demo-1" (never "vdemo-1").
 */
export function policyVersionLabel(version: string): string {
  return /^\d+(\.\d+)*$/.test(version) ? `v${version}` : version;
}
