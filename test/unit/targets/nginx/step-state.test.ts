import { readdirSync } from 'node:fs';
import path from 'node:path';
import { type StepRecord, StepRecords } from '../../../../src/targets/nginx/step-state';
import { tempDir } from '../helpers';

const record = (key: string, beforeText: string): StepRecord => ({
  key,
  service: 'checkout',
  action: 'shift-traffic',
  upstreamFile: '/x/checkout.conf',
  beforeText,
  target: { pattern: 'canary', canaryWeight: 0 },
  stagesDone: 0,
  createdAt: '2026-01-01T00:00:00Z',
});

describe('step records', () => {
  test('the first snapshot stands: later attempts read it instead of taking their own', async () => {
    const records = new StepRecords(tempDir());
    const key = 'a'.repeat(64);
    expect((await records.createOrRead(record(key, 'before the step'))).beforeText).toBe('before the step');
    // A retry would see the file the step already changed; its snapshot must not replace the first one.
    expect((await records.createOrRead(record(key, 'changed by the step'))).beforeText).toBe(
      'before the step',
    );
    await records.update(key, (r) => ({ ...r, stagesDone: 2 }));
    expect(await records.read(key)).toMatchObject({ beforeText: 'before the step', stagesDone: 2 });
  });

  test('concurrent first attempts agree on one snapshot', async () => {
    const records = new StepRecords(tempDir());
    const key = 'b'.repeat(64);
    const results = await Promise.all(
      ['one', 'two', 'three', 'four'].map((text) => records.createOrRead(record(key, text))),
    );
    expect(new Set(results.map((r) => r.beforeText)).size).toBe(1);
  });

  test('a key that is not a plain hash cannot name a file outside the state dir', async () => {
    const dir = tempDir();
    const records = new StepRecords(dir);
    const key = '../../etc/escape';
    await records.createOrRead(record(key, 'x'));
    expect(path.dirname(records.fileFor(key))).toBe(dir);
    expect(readdirSync(dir)).toHaveLength(1);
    expect((await records.read(key))?.key).toBe(key);
  });

  test('an unknown key reads as undefined', async () => {
    expect(await new StepRecords(tempDir()).read('c'.repeat(64))).toBeUndefined();
  });
});
