import type { AuditRecord } from '../types';
import { type AuditSink, redactRecord } from './sink';

/** Keeps records in memory, with the same duplicate rule as the file sink (workflow tests). */
export class MemoryAuditSink implements AuditSink {
  readonly records: AuditRecord[] = [];

  async append(record: AuditRecord): Promise<'stored' | 'duplicate'> {
    if (this.records.some((r) => r.id === record.id)) return 'duplicate';
    this.records.push(redactRecord(record));
    return 'stored';
  }
}
