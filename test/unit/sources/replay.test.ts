import path from 'node:path';
import type { Source } from '../../../src/policy';
import {
  type HealthReadRequest,
  queryVariables,
  ReplayHealthSource,
  renderQuery,
  ScenarioCache,
  SourceRegistry,
} from '../../../src/sources';

const FIXTURES = path.join(__dirname, 'fixtures');
const source = new ReplayHealthSource(new ScenarioCache(FIXTURES));

function request(
  file: string,
  index: number,
  names: string[],
): HealthReadRequest<Extract<Source, { type: 'replay' }>> {
  return {
    sourceName: 'recorded',
    source: { type: 'replay', path: file },
    series: names.map((name) => ({ name, source: 'recorded', query: name })),
    deployment: {
      deploymentId: 'd-1',
      service: 'checkout',
      environment: 'staging',
      version: 'v2',
      previousVersion: 'v1',
      deployedAt: '2026-01-01T00:00:00Z',
    },
    index,
    intervalSeconds: 30,
    groups: { baseline: { version: 'v1' }, canary: { version: 'v2' } },
    signal: new AbortController().signal,
  };
}

describe('replay source', () => {
  test.each([
    [0, { baseline: 1000, canary: 100 }, { baseline: 2, canary: 0 }],
    [1, { baseline: 1010, canary: 101 }, { baseline: 3, canary: 40 }],
    [2, { baseline: 990, canary: null }, { baseline: 1, canary: null }],
  ])('interval %i reads baseline[i] and canary[i] of each series', async (index, requests, errors) => {
    const readings = await source.read(request('three-intervals.json', index, ['requests', 'errors']));
    expect(readings).toEqual({ requests, errors });
  });

  test('past the end of the file there is no data, never a value', async () => {
    const readings = await source.read(request('three-intervals.json', 3, ['requests', 'latency_p99_ms']));
    expect(readings).toEqual({
      requests: { baseline: null, canary: null },
      latency_p99_ms: { baseline: null, canary: null },
    });
  });

  test('a series the scenario lacks is an error reading for that series alone', async () => {
    const readings = await source.read(request('three-intervals.json', 0, ['requests', 'saturation']));
    expect(readings.requests).toEqual({ baseline: 1000, canary: 100 });
    expect(readings.saturation).toEqual({
      baseline: null,
      canary: null,
      error: 'scenario "three-intervals" has no series "saturation"',
    });
  });

  test.each([
    ['missing.json', 'no such file'],
    ['not-a-scenario.json', 'format'],
  ])('an unusable file (%s) becomes an error reading for every series', async (file, words) => {
    const readings = await source.read(request(file, 0, ['requests', 'errors']));
    for (const name of ['requests', 'errors']) {
      expect(readings[name]?.error).toContain(words);
      expect(readings[name]).toMatchObject({ baseline: null, canary: null });
    }
  });

  test.each([
    ['plain text', 'hunter2-SECRET-FIRST-LINE\nmore\n'],
    ['JSON with a bad value', '{"format": "ripcord.scenario/v1", "hunter2-SECRET": nope}'],
    ['JSON cut short', '{"hunter2-SECRET": '],
    ['valid JSON that is no scenario', '{"series": {"hunter2-SECRET": {"baseline": ["hunter2-SECRET"]}}}'],
  ])('an error about %s never repeats the content of the file', async (_label, content) => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(path.join(tmpdir(), 'ripcord-replay-'));
    writeFileSync(path.join(dir, 'secret.txt'), content);
    const replay = new ReplayHealthSource(new ScenarioCache(dir));
    const readings = await replay.read(request('secret.txt', 0, ['requests']));
    expect(readings.requests?.error).toMatch(/not valid JSON|not a ripcord\.scenario\/v1 scenario/);
    expect(JSON.stringify(readings)).not.toContain('hunter2');
  });

  test('a device or a directory is not read', async () => {
    for (const file of ['/dev/zero', FIXTURES]) {
      const readings = await new ReplayHealthSource().read(request(file, 0, ['requests']));
      expect(readings.requests?.error).toContain('not a regular file');
    }
  });

  test('a file changed on disk is read again', async () => {
    const { mkdtempSync, writeFileSync, readFileSync, utimesSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(path.join(tmpdir(), 'ripcord-replay-'));
    const file = path.join(dir, 's.json');
    const original = JSON.parse(readFileSync(path.join(FIXTURES, 'three-intervals.json'), 'utf8'));
    writeFileSync(file, JSON.stringify(original));
    const replay = new ReplayHealthSource(new ScenarioCache(dir));
    expect((await replay.read(request('s.json', 0, ['requests']))).requests?.canary).toBe(100);
    original.series.requests.canary[0] = 7;
    writeFileSync(file, JSON.stringify(original));
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    expect((await replay.read(request('s.json', 0, ['requests']))).requests?.canary).toBe(7);
  });
});

describe('source registry', () => {
  test('resolves only what was registered: unknown types are undefined, never a default', () => {
    const registry = new SourceRegistry({ replay: source });
    expect(registry.resolve('replay')).toBe(source);
    expect(registry.resolve('prometheus')).toBeUndefined();
    expect(registry.resolve('toString')).toBeUndefined();
    expect(registry.types()).toEqual(['replay']);
  });
});

describe('query templates', () => {
  test('fill the placeholders per group', () => {
    const req = request('three-intervals.json', 0, []);
    const template =
      'sum(increase(x{service="{{service}}",version="{{ version }}",env="{{environment}}"}[{{interval}}]))';
    expect(renderQuery(template, queryVariables(req, 'canary'))).toBe(
      'sum(increase(x{service="checkout",version="v2",env="staging"}[30s]))',
    );
    expect(renderQuery('{{group}}:{{version}}', queryVariables(req, 'baseline'))).toBe('baseline:v1');
  });

  test('an unknown placeholder is an error, not an empty filter', () => {
    expect(() => renderQuery('x{version="{{verison}}"}', { version: 'v2' })).toThrow(
      'unknown placeholder {{verison}}',
    );
  });
});

describe('replay source: histogram series', () => {
  const histogram = (index: number) => {
    const base = request('histogram.json', index, ['requests']);
    return {
      ...base,
      series: [
        ...base.series,
        { name: 'latency', source: 'recorded', query: 'latency', histogram: { leUnit: 'seconds' as const } },
      ],
    };
  };

  test("passes the scenario's <series>_le_* through when the policy names <series> as a histogram", async () => {
    expect(await source.read(histogram(0))).toEqual({
      requests: { baseline: 100, canary: 50 },
      latency: { baseline: null, canary: null },
      latency_le_100: { baseline: 60, canary: 20 },
      'latency_le_2.5': { baseline: 1, canary: 0 },
      latency_le_500: { baseline: 99, canary: 45 },
    });
    expect((await source.read(histogram(1))).latency_le_100).toEqual({ baseline: 62, canary: null });
  });

  test('the same buckets are not read for a series that is not a histogram', async () => {
    const readings = await source.read(request('histogram.json', 0, ['latency']));
    expect(Object.keys(readings)).toEqual(['latency']);
    expect(readings.latency?.error).toBe('scenario "histogram" has no series "latency"');
  });

  test('a histogram the scenario has no buckets for is an error on its name', async () => {
    const readings = await source.read({
      ...histogram(0),
      series: [{ name: 'duration', source: 'recorded', query: 'x', histogram: { leUnit: 'seconds' } }],
    });
    expect(readings).toEqual({
      duration: {
        baseline: null,
        canary: null,
        error: 'scenario "histogram" has no buckets duration_le_<ms> for histogram "duration"',
      },
    });
  });
});
