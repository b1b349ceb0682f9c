import { redactCredentials } from '../../security/credential-text';
import type { AuditReceipt, AuditRecord } from '../../model/audit';

/** Where an appended record landed: stored now, or already stored (a retry), and its place in the chain. */
export interface AuditAppendResult extends AuditReceipt {
  outcome: 'stored' | 'duplicate';
}

/**
 * Where audit records go. Appending a record whose id is already stored does
 * nothing and says so, with the stored record's seq and hash: the activity may
 * be retried after it already wrote. Sinks store records hash-chained
 * (src/security/audit-chain.ts), and signed when given the worker's audit key
 * (src/security/audit-signing.ts).
 */
export interface AuditSink {
  append(record: AuditRecord): Promise<AuditAppendResult>;
}

const SECRET_KEY = /(token|secret|password|passwd|authorization|api[-_]?key|credential)/i;
const SECRET_REF = /^\$\{secret:[A-Za-z_][A-Za-z0-9_./-]{0,127}\}$/;

/**
 * The record as it may be stored: values under secret-looking keys in
 * `details` are replaced, unless they are secret references (which name a
 * secret without revealing it), and credential-looking text (a JWS, a bearer
 * token, a private key...) inside `summary` and every string of `details` is
 * replaced by `[redacted: <what>]`. Audit logs are read by many; a token
 * pasted into a reason must not live there forever.
 */
export function redactRecord(record: AuditRecord): AuditRecord {
  const summary = typeof record.summary === 'string' ? redactCredentials(record.summary) : record.summary;
  if (record.details === undefined) return summary === record.summary ? record : { ...record, summary };
  // Redaction replaces values, never keys or kinds: the details keep their kind's shape.
  return { ...record, summary, details: redact(record.details) } as AuditRecord;
}

function redact(value: unknown, key?: string): unknown {
  if (key !== undefined && SECRET_KEY.test(key) && !(typeof value === 'string' && SECRET_REF.test(value))) {
    return value === undefined || value === null ? value : '[redacted]';
  }
  if (typeof value === 'string') return SECRET_REF.test(value) ? value : redactCredentials(value);
  if (Array.isArray(value)) return value.map((item) => redact(item));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  }
  return value;
}
