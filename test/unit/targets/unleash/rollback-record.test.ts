import { UnleashTargetConfig } from '../../../../src/targets/unleash';
import { readRecord, RECORD_TAG_TYPE, recordTag } from '../../../../src/targets/unleash/rollback-record';

const KEY = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const tag = (key: string, kind: 'was-on' | 'was-off' | 'undone') => recordTag(key, kind);

describe('rollback records kept as Unleash tags', () => {
  it('fit in an Unleash tag value (at most 50 characters) under ripcord’s own tag type', () => {
    for (const kind of ['was-on', 'was-off', 'undone'] as const) {
      const { type, value } = recordTag(KEY, kind);
      expect(type).toBe(RECORD_TAG_TYPE);
      expect(value.length).toBeLessThanOrEqual(50);
    }
  });

  it.each([
    ['nothing recorded', [], { undone: false }],
    ['the flag was on', [tag(KEY, 'was-on')], { wasOn: true, undone: false }],
    ['the flag was off', [tag(KEY, 'was-off')], { wasOn: false, undone: false }],
    [
      'two racing attempts: one saw it on',
      [tag(KEY, 'was-off'), tag(KEY, 'was-on')],
      { wasOn: true, undone: false },
    ],
    ['undone', [tag(KEY, 'was-on'), tag(KEY, 'undone')], { wasOn: true, undone: true }],
    ['records of another step only', [tag(OTHER, 'was-on'), tag(OTHER, 'undone')], { undone: false }],
    [
      'a tag of another type with the same value',
      [{ type: 'simple', value: tag(KEY, 'was-on').value }],
      { undone: false },
    ],
  ])('%s', (_what, tags, expected) => {
    expect(readRecord(tags, KEY)).toEqual(expected);
  });
});

describe('UnleashTargetConfig', () => {
  it('takes a URL and a token reference, with a default timeout and no fixed environment', () => {
    expect(
      UnleashTargetConfig.parse({
        type: 'unleash',
        url: 'https://unleash.example.com',
        tokenSecret: '${secret:UNLEASH_TOKEN}',
      }),
    ).toEqual({
      type: 'unleash',
      url: 'https://unleash.example.com',
      tokenSecret: '${secret:UNLEASH_TOKEN}',
      timeoutSeconds: 10,
    });
  });

  it.each([
    [{ tokenSecret: '*:*.a-literal-token' }, 'tokenSecret'],
    [{ url: 'https://user:pw@unleash.example.com' }, 'url'],
    [{ url: 'ftp://unleash.example.com' }, 'url'],
    [{ environment: '' }, 'environment'],
  ])('refuses %j, naming the field and never echoing a token', (override, field) => {
    const result = UnleashTargetConfig.safeParse({
      type: 'unleash',
      url: 'https://unleash.example.com',
      tokenSecret: '${secret:UNLEASH_TOKEN}',
      ...override,
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(field);
    expect(JSON.stringify(result.error?.issues.map((issue) => issue.message))).not.toContain(
      'a-literal-token',
    );
  });
});
