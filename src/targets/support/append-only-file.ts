import { constants as fsConstants } from 'node:fs';
import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * An append-only file of JSON lines that several worker processes may share:
 * the recording target's journal and the JSONL audit sink. Appends use
 * O_APPEND (one write per line, so lines never interleave); a check followed by
 * an append runs under a lock file so that two processes cannot both decide to
 * append the same entry. Lives under targets/ because activities may import
 * targets, never the other way round.
 */
export class AppendOnlyJsonl<T> {
  private readonly lockPath: string;

  constructor(
    readonly file: string,
    private readonly options: { lockTimeoutMs?: number; staleLockMs?: number } = {},
  ) {
    this.lockPath = `${file}.lock`;
  }

  /** Every complete entry, in file order. A torn last line (a crash mid-write) is not an entry. */
  async readAll(): Promise<T[]> {
    return (await this.readFrom(0)).entries;
  }

  /**
   * Entries from byte `offset` on, and the offset just past the last complete
   * line, so that a caller can keep an index and read only what is new.
   */
  async readFrom(offset: number): Promise<{ entries: T[]; nextOffset: number }> {
    let buffer: Buffer;
    try {
      buffer = await readFile(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], nextOffset: 0 };
      throw error;
    }
    // A file shorter than the offset was replaced (rotated or recreated): start again.
    const start = buffer.length < offset ? 0 : offset;
    const end = buffer.lastIndexOf(0x0a) + 1;
    if (end <= start) return { entries: [], nextOffset: start };
    const entries: T[] = [];
    for (const line of buffer.subarray(start, end).toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        entries.push(JSON.parse(line) as T);
      } catch {
        // A line torn by a crash and then followed by later appends: it never completed, so it never happened.
      }
    }
    return { entries, nextOffset: end };
  }

  /** Appends one entry as one line; creates the file (mode 0600) and its directory when missing. */
  async append(entry: T): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const handle = await open(
      this.file,
      fsConstants.O_RDWR | fsConstants.O_APPEND | fsConstants.O_CREAT,
      0o600,
    );
    try {
      // After a torn write the file does not end in a newline: start a fresh line so this entry stays whole.
      const { size } = await handle.stat();
      let prefix = '';
      if (size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) prefix = '\n';
      }
      await handle.write(`${prefix}${JSON.stringify(entry)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /**
   * Runs `fn` while holding the file's lock. Hold it only for a read and an
   * append, never across a wait: a lock older than `staleLockMs`, or held by a
   * process that no longer exists (a killed worker), is broken.
   */
  async withLock<R>(fn: () => Promise<R>): Promise<R> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const deadline = Date.now() + (this.options.lockTimeoutMs ?? 10_000);
    for (;;) {
      try {
        const handle = await open(this.lockPath, 'wx', 0o600);
        await handle.write(JSON.stringify({ pid: process.pid, at: Date.now() }));
        await handle.close();
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        if (await this.breakStaleLock()) continue;
        if (Date.now() > deadline) throw new Error(`timed out waiting for the lock on ${this.file}`);
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
      }
    }
    try {
      return await fn();
    } finally {
      await unlink(this.lockPath).catch(() => undefined);
    }
  }

  private async breakStaleLock(): Promise<boolean> {
    let holder: { pid?: unknown; at?: unknown };
    try {
      holder = JSON.parse(await readFile(this.lockPath, 'utf8')) as typeof holder;
    } catch {
      // Being written right now, or already gone: look again shortly. A lock file that
      // stays unreadable is judged by its age.
      const info = await stat(this.lockPath).catch(() => undefined);
      if (info === undefined || Date.now() - info.mtimeMs < (this.options.staleLockMs ?? 30_000))
        return false;
      holder = {};
    }
    const age = typeof holder.at === 'number' ? Date.now() - holder.at : Infinity;
    const alive = typeof holder.pid === 'number' && processExists(holder.pid);
    if (alive && age < (this.options.staleLockMs ?? 30_000)) return false;
    await unlink(this.lockPath).catch(() => undefined);
    return true;
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
