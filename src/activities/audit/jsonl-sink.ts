import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { chainRecord, type Chained, type StoredEntry } from '../../security/audit-chain';
import type { AuditSigner } from '../../security/audit-signing';
import { AppendOnlyJsonl } from '../../targets/support/append-only-file';
import type { AuditReceipt, AuditRecord } from '../../model/audit';
import { type AuditAppendResult, type AuditSink, redactRecord } from './sink';

export const DEFAULT_AUDIT_FILE = path.join('.ripcord', 'audit.jsonl');

/**
 * One hash-chained record per line (src/security/audit-chain.ts) in a file only
 * its owner can read (mode 0600), its directory created on first use. Several
 * workers may share the file: the duplicate check, the chain's next link and
 * the append happen under the file's lock, and the ids already stored are
 * indexed incrementally (only new lines are read). With a signer, each record
 * is signed with the worker's audit key.
 */
export class JsonlAuditSink implements AuditSink {
  private readonly log: AppendOnlyJsonl<Chained<AuditRecord>>;
  /** Where each stored record id landed, so that a retry gets the stored record's receipt. */
  private readonly ids = new Map<string, AuditReceipt>();
  private last: { seq: number; hash: string } | undefined;
  private offset = 0;

  constructor(
    readonly file: string = DEFAULT_AUDIT_FILE,
    private readonly options: { signer?: AuditSigner } = {},
  ) {
    this.log = new AppendOnlyJsonl<Chained<AuditRecord>>(file);
  }

  async append(record: AuditRecord): Promise<AuditAppendResult> {
    return this.log.withLock(async () => {
      const { entries, nextOffset } = await this.log.readFrom(this.offset);
      if (nextOffset < this.offset) {
        this.ids.clear();
        this.last = undefined;
      }
      for (const entry of entries) {
        if (typeof entry.seq === 'number' && typeof entry.hash === 'string') {
          this.last = { seq: entry.seq, hash: entry.hash };
          this.ids.set(entry.id, this.last);
        }
      }
      this.offset = nextOffset;
      const stored = this.ids.get(record.id);
      if (stored) return { outcome: 'duplicate', ...stored };
      const chained = chainRecord(redactRecord(record), this.last, this.options.signer);
      await this.log.append(chained);
      this.last = { seq: chained.seq, hash: chained.hash };
      this.ids.set(record.id, this.last);
      return { outcome: 'stored', ...this.last };
    });
  }

  /** Every stored record, in order (for tests and `ripcord audit`). */
  readAll(): Promise<Chained<AuditRecord>[]> {
    return this.log.readAll();
  }
}

/** Every line of an audit file as stored, for verification (which must see broken lines too). */
export async function readAuditFileLines(file: string): Promise<StoredEntry[]> {
  const text = await readFile(file, 'utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line, index) => ({ where: `line ${index + 1}`, text: line }));
}
