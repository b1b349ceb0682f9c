import {
  PermanentStepError,
  RecordingTarget,
  TargetRegistry,
  dryRunTargetRegistry,
} from '../../../src/targets';
import { tempDir } from './helpers';

const ACTION_TYPES = [
  'shift-traffic',
  'swap-blue-green',
  'revert-artifact',
  'disable-flag',
  'down-migration',
  'webhook',
];

describe('target registry', () => {
  test.each(ACTION_TYPES)(
    'without a registered target, a %s step fails permanently (fail closed)',
    (type) => {
      const registry = new TargetRegistry({});
      expect(() => registry.resolve(type)).toThrow(PermanentStepError);
      expect(() => registry.resolve(type)).toThrow(
        `no rollback target handles "${type}" steps in this worker`,
      );
    },
  );

  test('an unknown action type fails permanently even when others are registered', () => {
    const recording = new RecordingTarget({ journalFile: `${tempDir()}/j.jsonl` });
    const registry = new TargetRegistry({ 'shift-traffic': recording });
    expect(registry.resolve('shift-traffic')).toBe(recording);
    expect(() => registry.resolve('reboot-datacenter')).toThrow(PermanentStepError);
    expect(() => registry.resolve('disable-flag')).toThrow('registered: shift-traffic → recording (dry run)');
  });

  test('dry-run mode routes every action type to the recording target', () => {
    const recording = new RecordingTarget({ journalFile: `${tempDir()}/j.jsonl` });
    const registry = dryRunTargetRegistry(recording);
    for (const type of ACTION_TYPES) expect(registry.resolve(type)).toBe(recording);
  });
});
