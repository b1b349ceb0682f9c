import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';

/**
 * One dev server per SQLite file. Two servers on the same file (on other ports)
 * both start and then fight over it: workflows appear in one Web UI and not the
 * other, or the file is corrupted. A lock file next to the database, holding the
 * process ids of the server that uses it, makes the second one refuse to start.
 */

export class DbInUseError extends Error {
  constructor(
    readonly dbFile: string,
    readonly pids: number[],
  ) {
    super(
      `${dbFile} is in use by another dev server${pids.length ? ` (pid ${pids.join(', ')})` : ''}: stop that one, ` +
        'or give this one its own database with --db <file>',
    );
    this.name = 'DbInUseError';
  }
}

export interface DbLock {
  readonly file: string;
  /** Records the server's own process too, so a lock whose parent died but whose server lives still holds. */
  addPid(pid: number): void;
  release(): void;
}

interface LockContent {
  pids: number[];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPids(lockFile: string): number[] {
  try {
    const content = JSON.parse(readFileSync(lockFile, 'utf8')) as Partial<LockContent>;
    return Array.isArray(content.pids) ? content.pids.filter((p) => Number.isInteger(p) && p > 0) : [];
  } catch {
    return []; // unreadable or half written: treated as stale
  }
}

/**
 * Takes the lock of `dbFile` (`<dbFile>.lock`), or throws DbInUseError naming
 * the live process that holds it. A lock left by processes that are gone is
 * taken over.
 */
export function lockDatabase(dbFile: string): DbLock {
  const lockFile = `${dbFile}.lock`;
  const pids = [process.pid];
  const write = () => writeFileSync(lockFile, JSON.stringify({ pids } satisfies LockContent));
  for (let attempt = 0; ; attempt++) {
    try {
      closeSync(openSync(lockFile, 'wx'));
      write();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holders = readPids(lockFile).filter(alive);
      // A second try that finds a lock again lost a race with another server starting.
      if (holders.length > 0 || attempt > 0) throw new DbInUseError(dbFile, holders);
      unlinkSync(lockFile); // stale: whoever held it is gone
    }
  }
  let released = false;
  return {
    file: lockFile,
    addPid(pid) {
      if (released) return;
      pids.push(pid);
      write();
    },
    release() {
      if (released) return;
      released = true;
      // Only our own lock: never one another process took over after ours went stale.
      if (readPids(lockFile)[0] === process.pid) {
        try {
          unlinkSync(lockFile);
        } catch {
          // already gone
        }
      }
    },
  };
}
