import { appendFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AppendOnlyJsonl } from '../../../src/targets/support/append-only-file';
import { tempDir } from './helpers';

describe('append-only JSONL file', () => {
  test('creates its directory and a file only the owner can read', async () => {
    const file = path.join(tempDir(), 'nested', 'deeper', 'log.jsonl');
    const log = new AppendOnlyJsonl<{ n: number }>(file);
    await log.append({ n: 1 });
    await log.append({ n: 2 });
    expect(await log.readAll()).toEqual([{ n: 1 }, { n: 2 }]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test('a line torn by a crash is not an entry, and later appends stay whole', async () => {
    const file = path.join(tempDir(), 'log.jsonl');
    writeFileSync(file, '{"n":1}\n{"n":');
    const log = new AppendOnlyJsonl<{ n: number }>(file);
    expect(await log.readAll()).toEqual([{ n: 1 }]);
    await log.append({ n: 3 });
    expect(await log.readAll()).toEqual([{ n: 1 }, { n: 3 }]);
  });

  test('reads only what is new from an offset', async () => {
    const file = path.join(tempDir(), 'log.jsonl');
    const log = new AppendOnlyJsonl<{ n: number }>(file);
    await log.append({ n: 1 });
    const first = await log.readFrom(0);
    await log.append({ n: 2 });
    const second = await log.readFrom(first.nextOffset);
    expect(second.entries).toEqual([{ n: 2 }]);
    appendFileSync(file, '{"n":3'); // a write in progress is not read yet
    expect((await log.readFrom(second.nextOffset)).entries).toEqual([]);
  });

  test('a lock left by a process that died is broken; a live one is waited for', async () => {
    const file = path.join(tempDir(), 'log.jsonl');
    const log = new AppendOnlyJsonl<{ n: number }>(file, { lockTimeoutMs: 300 });
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: 2 ** 22 + 12345, at: Date.now() }));
    await expect(log.withLock(async () => 'ran')).resolves.toBe('ran');

    writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.pid, at: Date.now() }));
    await expect(log.withLock(async () => 'ran')).rejects.toThrow('timed out waiting for the lock');
  });
});
