/**
 * The kinds of release scenario (truth.kind, `scenario generate --release --kind`), without the schema:
 * the CLI's options name them, and registering them must not load zod or the generator.
 */
export const RELEASE_KINDS = ['isolated', 'cascade', 'systemic', 'healthy'] as const;
export type ReleaseKind = (typeof RELEASE_KINDS)[number];

export function isReleaseKind(kind: string): kind is ReleaseKind {
  return (RELEASE_KINDS as readonly string[]).includes(kind);
}
