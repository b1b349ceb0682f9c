import { type ChainLink, describeChainFailure, type StoredEntry, verifyChain } from '../security/audit-chain';
import type { AuditRecord } from '../model/audit';

/**
 * The audit trail as the report shows it: the whole chain verified, and the
 * records of one guardian with their place in the chain (seq and hash), so a
 * reader can check the report against `ripcord audit verify`.
 */
export type ChainedAuditRecord = AuditRecord & ChainLink;

export interface AuditTrailView {
  /** Where the trail was read: a file path or a database (never its credentials). */
  where: string;
  verified: boolean;
  /** Why the chain does not verify, naming the first bad record. */
  problem?: string;
  /** Records in the whole chain. */
  count: number;
  head?: { seq: number; hash: string };
  /** This guardian's records, oldest first. */
  records: ChainedAuditRecord[];
}

export function auditTrailView(where: string, entries: StoredEntry[], workflowId: string): AuditTrailView {
  const verdict = verifyChain(entries);
  const records: ChainedAuditRecord[] = [];
  for (const entry of entries) {
    try {
      const record = JSON.parse(entry.text) as ChainedAuditRecord;
      if (record.workflowId === workflowId) records.push(record);
    } catch {
      // An unreadable line is what the chain check above reports.
    }
  }
  return {
    where,
    verified: verdict.ok,
    ...(verdict.ok ? {} : { problem: describeChainFailure(verdict) }),
    count: verdict.count,
    ...(verdict.ok && verdict.head ? { head: { seq: verdict.head.seq, hash: verdict.head.hash } } : {}),
    records: records.sort((a, b) => a.seq - b.seq),
  };
}
