import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimRunDir } from '../../../../src/dev/demo/run-dir';

let stateDir: string;
beforeEach(() => {
  stateDir = join(mkdtempSync(join(tmpdir(), 'ripcord-run-dir-')), 'state');
});
afterEach(() => rmSync(join(stateDir, '..'), { recursive: true, force: true }));

test('each run gets a directory of its own, named by the time, even when two start in the same second', () => {
  const now = new Date('2026-01-01T10:00:00.250Z');
  const first = claimRunDir(stateDir, now);
  const second = claimRunDir(stateDir, new Date('2026-01-01T10:00:00.900Z'));
  const third = claimRunDir(stateDir, now);
  expect([first.runId, second.runId, third.runId]).toEqual([
    '20260101100000',
    '20260101100000-2',
    '20260101100000-3',
  ]);
  expect(first.dir).toBe(join(stateDir, 'demo-20260101100000'));
  for (const run of [first, second, third]) expect(existsSync(run.dir)).toBe(true);
  expect(claimRunDir(stateDir, new Date('2026-01-01T10:00:01Z')).runId).toBe('20260101100001');
});
