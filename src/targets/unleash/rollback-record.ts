import type { FeatureTag } from './admin-client';

/**
 * What a disable-flag step remembers, kept in Unleash itself as tags on the
 * flag, so that every worker (on any machine) sees the same record and people
 * see in the Unleash UI that ripcord touched the flag:
 *
 *   ripcord-rollback: <key>.was-on    the flag was on before the step turned it off
 *   ripcord-rollback: <key>.was-off   it was already off (nothing to restore)
 *   ripcord-rollback: <key>.undone    the step was compensated
 *
 * `<key>` is the first 40 hex digits of the step's idempotency key (160 bits;
 * Unleash allows 50 characters per tag value).
 */
export const RECORD_TAG_TYPE = 'ripcord-rollback';
export const RECORD_TAG_DESCRIPTION =
  'Written by ripcord: the state of a flag before a rollback step turned it off, keyed by the step';

const KEY_CHARS = 40;

export type RecordKind = 'was-on' | 'was-off' | 'undone';

export interface RollbackRecord {
  /** Whether the flag was on before the step; undefined when the step never recorded a snapshot. */
  wasOn?: boolean;
  undone: boolean;
}

export function recordTag(idempotencyKey: string, kind: RecordKind): FeatureTag {
  return { type: RECORD_TAG_TYPE, value: `${idempotencyKey.slice(0, KEY_CHARS)}.${kind}` };
}

export function readRecord(tags: readonly FeatureTag[], idempotencyKey: string): RollbackRecord {
  const prefix = `${idempotencyKey.slice(0, KEY_CHARS)}.`;
  const kinds = new Set(
    tags
      .filter((tag) => tag.type === RECORD_TAG_TYPE && tag.value.startsWith(prefix))
      .map((tag) => tag.value.slice(prefix.length)),
  );
  // Two attempts racing may both snapshot: one before and one after the flag went off. If any saw it
  // on, it was on before the step (nothing else turns it on while the step runs).
  const wasOn = kinds.has('was-on') ? true : kinds.has('was-off') ? false : undefined;
  return { ...(wasOn === undefined ? {} : { wasOn }), undone: kinds.has('undone') };
}
