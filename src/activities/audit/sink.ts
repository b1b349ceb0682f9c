import type { AuditRecord } from '../types';

/**
 * Where audit records go. Appending a record whose id is already stored does
 * nothing and says so: the activity may be retried after it already wrote.
 * The file and PostgreSQL sinks store records hash-chained (src/security/audit-chain.ts).
 */
export interface AuditSink {
  append(record: AuditRecord): Promise<'stored' | 'duplicate'>;
}

const SECRET_KEY = /(token|secret|password|passwd|authorization|api[-_]?key|credential)/i;
const SECRET_REF = /^\$\{secret:[A-Za-z_][A-Za-z0-9_./-]{0,127}\}$/;

/**
 * The record as it may be stored: values under secret-looking keys in
 * `details` are replaced, unless they are secret references (which name a
 * secret without revealing it). Audit logs are read by many; a token pasted
 * into a reason must not live there forever.
 */
export function redactRecord(record: AuditRecord): AuditRecord {
  if (record.details === undefined) return record;
  return { ...record, details: redact(record.details) as Record<string, unknown> };
}

function redact(value: unknown, key?: string): unknown {
  if (key !== undefined && SECRET_KEY.test(key) && !(typeof value === 'string' && SECRET_REF.test(value))) {
    return value === undefined || value === null ? value : '[redacted]';
  }
  if (Array.isArray(value)) return value.map((item) => redact(item));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  }
  return value;
}
