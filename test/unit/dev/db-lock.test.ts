import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DbInUseError, lockDatabase } from '../../../src/dev/db-lock';

/** Issue 17: two dev servers on one database file are refused. */
describe('the dev server database lock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ripcord-db-lock-'));

  it('refuses a second holder, naming the file, the holder and --db', () => {
    const db = join(dir, 'a.db');
    const lock = lockDatabase(db);
    let error: unknown;
    try {
      lockDatabase(db);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DbInUseError);
    expect((error as Error).message).toContain(db);
    expect((error as Error).message).toContain(`pid ${process.pid}`);
    expect((error as Error).message).toContain('--db');
    lock.release();
    expect(existsSync(`${db}.lock`)).toBe(false);
    lockDatabase(db).release();
  });

  it('holds while the server process lives, even when the process that started it is gone', async () => {
    const db = join(dir, 'b.db');
    const server = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      writeFileSync(`${db}.lock`, JSON.stringify({ pids: [2 ** 22 + 12345, server.pid] }));
      expect(() => lockDatabase(db)).toThrow(`(pid ${server.pid})`);
    } finally {
      server.kill();
      await new Promise((r) => server.once('exit', r));
    }
    // ...and once it is gone, the lock is stale and taken over.
    const lock = lockDatabase(db);
    lock.release();
  });

  it('takes over a lock that is unreadable', () => {
    const db = join(dir, 'c.db');
    writeFileSync(`${db}.lock`, 'not json');
    lockDatabase(db).release();
  });

  it('never removes a lock another process took over', () => {
    const db = join(dir, 'd.db');
    const lock = lockDatabase(db);
    writeFileSync(`${db}.lock`, JSON.stringify({ pids: [1] }));
    lock.release();
    expect(existsSync(`${db}.lock`)).toBe(true);
  });
});
