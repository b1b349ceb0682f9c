import { createHash } from 'node:crypto';
import path from 'node:path';
import { createOnce, readTextOrNull, writeAtomically } from './files';
import type { UpstreamState } from './upstream';

/**
 * What the target remembers about one step, in `<stateDir>/<key>.json`: the
 * upstream file as it was before the step's first attempt (the snapshot that
 * compensation restores, byte for byte), the state the step brings about, and
 * how far it got. The record is created once, by the first attempt; every
 * later attempt (a retry, a second worker after a crash) reads it, so the
 * snapshot is never overwritten by a state the step itself produced.
 */
export interface StepRecord {
  key: string;
  service: string;
  action: 'shift-traffic' | 'swap-blue-green';
  upstreamFile: string;
  /** The upstream file's text before the step; null when there was none. */
  beforeText: string | null;
  /** What that text meant, when it could be read as a state of the service. */
  beforeState?: UpstreamState;
  /** The state after the last stage (for blue-green, the colour chosen by the first attempt). */
  target: UpstreamState;
  /** Traffic stages written and reloaded so far. */
  stagesDone: number;
  createdAt: string;
  appliedAt?: string;
  compensatedAt?: string;
}

export class StepRecords {
  constructor(private readonly dir: string) {}

  fileFor(key: string): string {
    // Keys are sha256 hex; anything else is hashed so that it can never reach outside the directory.
    const safe = /^[A-Za-z0-9_-]{1,128}$/.test(key) ? key : createHash('sha256').update(key).digest('hex');
    return path.join(this.dir, `${safe}.json`);
  }

  async read(key: string): Promise<StepRecord | undefined> {
    const text = await readTextOrNull(this.fileFor(key));
    return text === null ? undefined : (JSON.parse(text) as StepRecord);
  }

  /** Stores `record` unless one exists for its key; returns the record that stands. */
  async createOrRead(record: StepRecord): Promise<StepRecord> {
    const created = await createOnce(this.fileFor(record.key), `${JSON.stringify(record, null, 2)}\n`);
    if (created) return record;
    const existing = await this.read(record.key);
    if (existing === undefined) throw new Error(`step record ${record.key} vanished while being read`);
    return existing;
  }

  async update(key: string, change: (record: StepRecord) => StepRecord): Promise<StepRecord> {
    const current = await this.read(key);
    if (current === undefined) throw new Error(`no step record for ${key}`);
    const next = change(current);
    await writeAtomically(this.fileFor(key), `${JSON.stringify(next, null, 2)}\n`, 0o600);
    return next;
  }
}
