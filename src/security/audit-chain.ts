import { createHash } from 'node:crypto';
import { canonicalJson } from '../policy/canonical';
import type { AuditSignature, AuditSigner, AuditVerifier } from './audit-signing';

/**
 * The audit trail as a hash chain (docs/architecture.md §5, "what happened"). Every stored
 * record carries its position (`seq`, from 0), the hash of the record before
 * it (`prevHash`; the first one points at GENESIS_HASH) and its own `hash`:
 * sha256 over the canonical JSON of the record without `hash`. Editing,
 * removing, inserting or reordering records breaks the chain at the first
 * record touched, and `verifyChain` names it.
 *
 * The chain has no key: whoever can write the store can append a correctly
 * chained record, or rewrite one and recompute every hash after it. So the
 * worker signs each record's hash with its audit key (audit-signing.ts), in
 * `sig`, which the hash does not cover; `verifyChain` with a verifier then
 * requires a good signature by a trusted key on every record.
 *
 * Neither notices that the newest records were cut off: compare the head
 * (seq and hash) with one kept elsewhere (each guardian keeps its own in
 * Temporal: `ripcord audit verify --temporal`).
 */

export const GENESIS_HASH = `sha256:${'0'.repeat(64)}`;

export interface ChainLink {
  seq: number;
  prevHash: string;
  hash: string;
  /** The audit key's signature over `hash`; not covered by `hash`. */
  sig?: AuditSignature;
}

export type Chained<T extends object> = T & ChainLink;

export function chainHash(withoutHash: object): string {
  return `sha256:${createHash('sha256').update(canonicalJson(withoutHash), 'utf8').digest('hex')}`;
}

/** The record as it is stored after `previous` (undefined: the first record), signed when given a signer. */
export function chainRecord<T extends object>(
  record: T,
  previous: Pick<ChainLink, 'seq' | 'hash'> | undefined,
  signer?: AuditSigner,
): Chained<T> {
  // The record's own fields can never overwrite the chain's.
  const { seq: _s, prevHash: _p, hash: _h, sig: _g, ...fields } = record as T & Partial<ChainLink>;
  const link = {
    ...fields,
    seq: previous === undefined ? 0 : previous.seq + 1,
    prevHash: previous?.hash ?? GENESIS_HASH,
  };
  const hash = chainHash(link);
  return { ...link, hash, ...(signer ? { sig: signer.sign(hash) } : {}) } as unknown as Chained<T>;
}

/** The text of one stored record: canonical JSON, so that what is hashed is what is written. */
export function serializeChained(entry: object): string {
  return canonicalJson(entry);
}

/** One stored record to check, with where it was found (a line number, a row). */
export interface StoredEntry {
  /** Where the record is, for people: "line 7", "row seq=6". */
  where: string;
  /** The stored text. */
  text: string;
  /** The position the store itself claims (the database's seq column), checked against the record's. */
  storedSeq?: number;
}

export type ChainVerdict =
  | { ok: true; count: number; head?: { seq: number; hash: string } }
  | {
      ok: false;
      /** Records that verified before the first bad one. */
      count: number;
      where: string;
      seq?: number;
      id?: string;
      problem: string;
    };

export interface VerifyChainOptions {
  /**
   * Trusted audit keys: every record must then carry a good signature by one
   * of them ("not signed", "signature does not verify", "signed by unknown key").
   */
  verifier?: AuditVerifier;
}

/** Checks a whole chain from its first record; stops at, and names, the first bad one. */
export function verifyChain(entries: Iterable<StoredEntry>, options: VerifyChainOptions = {}): ChainVerdict {
  let previous: { seq: number; hash: string } | undefined;
  let count = 0;
  const ids = new Set<string>();
  for (const entry of entries) {
    const bad = (problem: string, record?: Record<string, unknown>): ChainVerdict => ({
      ok: false,
      count,
      where: entry.where,
      ...(typeof record?.seq === 'number' ? { seq: record.seq } : {}),
      ...(typeof record?.id === 'string' ? { id: record.id } : {}),
      problem,
    });
    let record: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(entry.text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        return bad('not a JSON object');
      record = parsed as Record<string, unknown>;
    } catch {
      return bad('not valid JSON (edited, or torn by a crash mid-write)');
    }
    const expectedSeq = previous === undefined ? 0 : previous.seq + 1;
    const { hash, sig, ...withoutHash } = record;
    if (typeof record.seq !== 'number' || typeof record.prevHash !== 'string' || typeof hash !== 'string') {
      return bad('not a chained audit record (seq, prevHash or hash missing)', record);
    }
    if (entry.storedSeq !== undefined && entry.storedSeq !== record.seq) {
      return bad(
        `is stored at seq ${entry.storedSeq} but says seq ${record.seq} (records were moved)`,
        record,
      );
    }
    if (chainHash(withoutHash) !== hash) {
      return bad('its content does not match its hash (the record was edited)', record);
    }
    if (options.verifier) {
      const problem = options.verifier.check(hash, sig);
      if (problem !== undefined) return bad(problem, record);
    }
    if (record.seq !== expectedSeq) {
      return bad(
        `has seq ${record.seq} where seq ${expectedSeq} was expected (a record was removed, inserted or reordered)`,
        record,
      );
    }
    const expectedPrev = previous?.hash ?? GENESIS_HASH;
    if (record.prevHash !== expectedPrev) {
      return bad(
        previous === undefined
          ? 'is the first record but does not start the chain (records before it were removed)'
          : `does not follow record seq ${previous.seq}: its prevHash is not that record's hash (a record was altered, removed or replaced)`,
        record,
      );
    }
    if (typeof record.id === 'string') {
      if (ids.has(record.id)) return bad(`repeats record id ${record.id}`, record);
      ids.add(record.id);
    }
    previous = { seq: record.seq, hash };
    count += 1;
  }
  return { ok: true, count, ...(previous ? { head: previous } : {}) };
}

/** The one-line description of a failed verification, naming the record. */
export function describeChainFailure(verdict: Extract<ChainVerdict, { ok: false }>): string {
  const name = [
    verdict.seq !== undefined ? `seq ${verdict.seq}` : undefined,
    verdict.id !== undefined ? `id ${verdict.id}` : undefined,
  ].filter(Boolean);
  return `first bad record at ${verdict.where}${name.length ? ` (${name.join(', ')})` : ''}: ${verdict.problem}`;
}
