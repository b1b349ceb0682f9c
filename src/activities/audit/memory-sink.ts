import { chainRecord, type Chained } from '../../security/audit-chain';
import type { AuditSigner } from '../../security/audit-signing';
import type { AuditRecord } from '../../model/audit';
import { type AuditAppendResult, type AuditSink, redactRecord } from './sink';

/** Keeps records in memory, with the same duplicate rule and chain as the file sink (workflow tests). */
export class MemoryAuditSink implements AuditSink {
  /** The records as redacted, without their chain fields. */
  readonly records: AuditRecord[] = [];
  /** The same records as the file sink would store them: chained, and signed with a signer. */
  readonly chained: Chained<AuditRecord>[] = [];

  constructor(private readonly options: { signer?: AuditSigner } = {}) {}

  async append(record: AuditRecord): Promise<AuditAppendResult> {
    const stored = this.chained.find((r) => r.id === record.id);
    if (stored) return { outcome: 'duplicate', seq: stored.seq, hash: stored.hash };
    const redacted = redactRecord(record);
    const chained = chainRecord(redacted, this.chained.at(-1), this.options.signer);
    this.records.push(redacted);
    this.chained.push(chained);
    return { outcome: 'stored', seq: chained.seq, hash: chained.hash };
  }
}
