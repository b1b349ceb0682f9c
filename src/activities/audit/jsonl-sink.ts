import path from 'node:path';
import { AppendOnlyJsonl } from '../../targets/append-only-file';
import type { AuditRecord } from '../types';
import { type AuditSink, redactRecord } from './sink';

export const DEFAULT_AUDIT_FILE = path.join('.ripcord', 'audit.jsonl');

/**
 * One JSON object per line in a file only its owner can read (mode 0600), its
 * directory created on first use. Several workers may share the file: the
 * duplicate check and the append happen under the file's lock, and the ids
 * already stored are indexed incrementally (only new lines are read).
 */
export class JsonlAuditSink implements AuditSink {
  private readonly log: AppendOnlyJsonl<AuditRecord>;
  private readonly ids = new Set<string>();
  private offset = 0;

  constructor(readonly file: string = DEFAULT_AUDIT_FILE) {
    this.log = new AppendOnlyJsonl<AuditRecord>(file);
  }

  async append(record: AuditRecord): Promise<'stored' | 'duplicate'> {
    return this.log.withLock(async () => {
      const { entries, nextOffset } = await this.log.readFrom(this.offset);
      if (nextOffset < this.offset) this.ids.clear();
      for (const entry of entries) this.ids.add(entry.id);
      this.offset = nextOffset;
      if (this.ids.has(record.id)) return 'duplicate';
      await this.log.append(redactRecord(record));
      this.ids.add(record.id);
      return 'stored';
    });
  }

  /** Every stored record, in order (for tests and `ripcord audit`). */
  readAll(): Promise<AuditRecord[]> {
    return this.log.readAll();
  }
}
