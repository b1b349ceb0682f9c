import { AppendOnlyJsonl } from '../support/append-only-file';

/** A release as a step saw it: a version, and its digest when its manifest could be read. */
export interface ReleaseRef {
  version: string;
  digest: string | null;
}

interface EntryCommon {
  /** The step's idempotency key. */
  key: string;
  service: string;
  at: string;
}

/**
 * What the artifact target remembers per step: `begin` holds the snapshot
 * taken before anything changed (what compensation restores), `applied` the
 * release the step put live, `compensated` what compensation restored.
 */
export type ArtifactJournalEntry =
  | (EntryCommon & { kind: 'begin'; target: ReleaseRef; before: ReleaseRef | null })
  | (EntryCommon & { kind: 'applied'; release: ReleaseRef })
  | (EntryCommon & { kind: 'compensated'; restored: ReleaseRef | null });

export interface ArtifactStepRecord {
  begin?: Extract<ArtifactJournalEntry, { kind: 'begin' }>;
  applied?: Extract<ArtifactJournalEntry, { kind: 'applied' }>;
  compensated?: Extract<ArtifactJournalEntry, { kind: 'compensated' }>;
}

function recordOf(entries: readonly ArtifactJournalEntry[], key: string): ArtifactStepRecord {
  const record: ArtifactStepRecord = {};
  for (const entry of entries) {
    if (entry.key !== key) continue;
    if (entry.kind === 'begin') record.begin ??= entry;
    else if (entry.kind === 'applied') record.applied ??= entry;
    else record.compensated ??= entry;
  }
  return record;
}

/** The JSONL journal, shared safely by several worker processes (see AppendOnlyJsonl). */
export class ArtifactStepJournal {
  private readonly file: AppendOnlyJsonl<ArtifactJournalEntry>;

  constructor(readonly path: string) {
    this.file = new AppendOnlyJsonl<ArtifactJournalEntry>(path);
  }

  async step(key: string): Promise<ArtifactStepRecord> {
    return recordOf(await this.file.readAll(), key);
  }

  /**
   * Under the journal's lock, reads the step's record and lets `decide` choose
   * what to append: two attempts never both write the same step's entry.
   */
  async update<R>(
    key: string,
    decide: (record: ArtifactStepRecord) => { append?: ArtifactJournalEntry[]; result: R },
  ): Promise<R> {
    return this.file.withLock(async () => {
      const { append = [], result } = decide(recordOf(await this.file.readAll(), key));
      for (const entry of append) await this.file.append(entry);
      return result;
    });
  }
}
