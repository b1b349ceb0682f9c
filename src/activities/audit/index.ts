import { ApplicationFailure } from '@temporalio/common';
import { activityLog } from '../activity-context';
import type { AuditReceipt, AuditRecord } from '../../model/audit';
import type { AuditSink } from './sink';

export { type AuditAppendResult, type AuditSink, redactRecord } from './sink';
export { JsonlAuditSink, DEFAULT_AUDIT_FILE, readAuditFileLines } from './jsonl-sink';
export {
  PostgresAuditSink,
  AUDIT_TABLE,
  auditGrants,
  describeDatabase,
  initAuditSchema,
} from './postgres-sink';
export { MemoryAuditSink } from './memory-sink';

/**
 * The recordAudit activity: stores the record once, however often the
 * activity is retried, and returns where it is in the chain (for a retry: the
 * record stored the first time). The guardian keeps the last receipt as its
 * trail's head, out of reach of the trail's writer.
 */
export function recordAudit(sink: AuditSink) {
  return async (record: AuditRecord): Promise<AuditReceipt | undefined> => {
    // Without an id a retry could not be recognised, and the record would be stored twice.
    if (typeof record?.id !== 'string' || record.id === '') {
      throw ApplicationFailure.nonRetryable('audit record: id is required', 'InvalidAuditRecord');
    }
    const result = await sink.append(record);
    if (result.outcome === 'duplicate') activityLog().debug('audit record already stored', { id: record.id });
    return { seq: result.seq, hash: result.hash };
  };
}
