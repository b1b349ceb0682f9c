import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultActivityDeps } from '../../../src/worker/composition';
import { evaluateHealth } from '../../../src/activities/health';
import type { EvaluateHealthInput } from '../../../src/model/activity-contract';
import type { Policy } from '../../../src/policy';
import { type HealthSource, ReplayHealthSource, SourceRegistry } from '../../../src/sources';
import { deploymentFor, examplePolicy, tempDir } from './helpers';

const SCENARIO = path.join(__dirname, '..', 'sources', 'fixtures', 'three-intervals.json');
/** requests, errors and the latency histogram's buckets latency_le_<ms>, as the example canary policy reads them. */
const HISTOGRAM_SCENARIO = path.join(__dirname, '..', 'sources', 'fixtures', 'histogram.json');
const replayOnly = new SourceRegistry({ replay: new ReplayHealthSource() });

async function inputFor(overrides: Partial<EvaluateHealthInput> = {}): Promise<EvaluateHealthInput> {
  const { policy } = await examplePolicy('canary.yaml');
  return {
    deployment: deploymentFor(policy),
    index: 1,
    intervalSeconds: 30,
    series: policy.series,
    sources: policy.sources,
    ...overrides,
  };
}

/** A Prometheus stand-in that answers with whatever the test says. */
function fakePrometheus(read: HealthSource['read']): SourceRegistry {
  return new SourceRegistry({ prometheus: { type: 'prometheus', read } });
}

describe('evaluateHealth', () => {
  test('a rehearsal replays every series of the policy from the scenario', async () => {
    const observation = await evaluateHealth(replayOnly)(
      await inputFor({ index: 0, replay: { scenarioFile: HISTOGRAM_SCENARIO } }),
    );
    // The example's latency series is a histogram: its buckets pass through, the name itself has no value.
    expect(observation).toEqual({
      requests: { baseline: 100, canary: 50 },
      errors: { baseline: 1, canary: 0 },
      latency: { baseline: null, canary: null },
      latency_le_100: { baseline: 60, canary: 20 },
      'latency_le_2.5': { baseline: 1, canary: 0 },
      latency_le_500: { baseline: 99, canary: 45 },
    });
  });

  test('a production worker refuses replayed health: every series is an error, never a verdict', async () => {
    const observation = await evaluateHealth(replayOnly, { refuseReplay: true })(
      await inputFor({ replay: { scenarioFile: SCENARIO } }),
    );
    expect(Object.keys(observation).sort()).toEqual(['errors', 'latency', 'requests']);
    for (const reading of Object.values(observation)) {
      expect(reading).toEqual({
        baseline: null,
        canary: null,
        error: expect.stringContaining('does not accept replayed health data'),
      });
    }
  });

  test('defaultActivityDeps refuses replay unless the worker is a dry run or says --accept-replay', () => {
    expect(defaultActivityDeps({ insecureClaims: true }).refuseReplay).toBe(true);
    expect(defaultActivityDeps({ dryRun: true }).refuseReplay).toBe(false);
    expect(defaultActivityDeps({ insecureClaims: true, acceptReplay: true }).refuseReplay).toBe(false);
  });

  test('a rehearsal past the end of the scenario has no data', async () => {
    const observation = await evaluateHealth(replayOnly)(
      await inputFor({ index: 50, replay: { scenarioFile: SCENARIO } }),
    );
    expect(observation.errors).toEqual({ baseline: null, canary: null });
  });

  test('a source type this worker cannot read becomes an error reading per series (fail closed)', async () => {
    const observation = await evaluateHealth(replayOnly)(await inputFor());
    expect(Object.keys(observation).sort()).toEqual(['errors', 'latency', 'requests']);
    for (const reading of Object.values(observation)) {
      expect(reading).toEqual({
        baseline: null,
        canary: null,
        error: 'no "prometheus" health source in this worker (available: replay)',
      });
    }
  });

  test("a policy's own replay source reads its file by series name", async () => {
    const sources: Policy['sources'] = { recorded: { type: 'replay', path: SCENARIO } };
    const series: Policy['series'] = {
      errors: { source: 'recorded', query: 'errors' },
      saturation: { source: 'recorded', query: 'saturation' },
    };
    const observation = await evaluateHealth(replayOnly)(await inputFor({ sources, series, index: 0 }));
    expect(observation.errors).toEqual({ baseline: 2, canary: 0 });
    expect(observation.saturation?.error).toContain('has no series "saturation"');
  });

  test("a production worker never opens a policy's replay source: an error reading, never the file", async () => {
    const secret = path.join(tempDir(), 'secret.txt');
    writeFileSync(secret, 'AKIA-SECRET-FIRST-LINE\n');
    const sources: Policy['sources'] = { leak: { type: 'replay', path: secret } };
    const series: Policy['series'] = { errors: { source: 'leak', query: 'errors' } };
    let reads = 0;
    const registry = new SourceRegistry({
      replay: {
        type: 'replay',
        read: async () => {
          reads += 1;
          return {};
        },
      },
    });
    const observation = await evaluateHealth(registry, { refuseReplay: true })(
      await inputFor({ sources, series, index: 0 }),
    );
    expect(reads).toBe(0);
    expect(observation.errors).toEqual({
      baseline: null,
      canary: null,
      error:
        'source "leak" is a replay source: this worker serves production and never reads replay data ' +
        '(only --dry-run or --accept-replay workers do)',
    });
  });

  test('a replay source of a file that is not a scenario says why without its content', async () => {
    const secret = path.join(tempDir(), 'secret.txt');
    writeFileSync(secret, 'AKIA-SECRET-FIRST-LINE\n');
    const sources: Policy['sources'] = { leak: { type: 'replay', path: secret } };
    const series: Policy['series'] = { errors: { source: 'leak', query: 'errors' } };
    const observation = await evaluateHealth(replayOnly)(await inputFor({ sources, series, index: 0 }));
    expect(observation.errors?.error).toContain('not valid JSON');
    expect(JSON.stringify(observation)).not.toContain('AKIA');
  });

  test('a series whose source the policy does not define is an error reading', async () => {
    const series: Policy['series'] = { errors: { source: 'nowhere', query: 'x' } };
    const observation = await evaluateHealth(replayOnly)(await inputFor({ series }));
    expect(observation.errors?.error).toBe('source "nowhere" is not defined in the policy');
  });

  test('the source sees the query templates, the interval and both groups', async () => {
    const seen: unknown[] = [];
    const registry = fakePrometheus(async (req) => {
      seen.push({ names: req.series.map((s) => s.name), groups: req.groups, index: req.index });
      return Object.fromEntries(req.series.map((s) => [s.name, { baseline: 1, canary: 2 }]));
    });
    const observation = await evaluateHealth(registry)(await inputFor());
    expect(seen).toEqual([
      {
        names: ['requests', 'errors', 'latency'],
        groups: { baseline: { version: 'v2.3.9' }, canary: { version: 'v2.4.0' } },
        index: 1,
      },
    ]);
    expect(observation.requests).toEqual({ baseline: 1, canary: 2 });
  });

  test.each<[string, HealthSource['read'], string]>([
    [
      'throws',
      async () => {
        throw new Error('connection refused');
      },
      'source "prometheus-main" failed: connection refused',
    ],
    ['answers without the series', async () => ({}), 'source "prometheus-main" returned no reading'],
    [
      'answers with a non-number',
      async (req) => Object.fromEntries(req.series.map((s) => [s.name, { baseline: NaN, canary: 1 }])),
      'source "prometheus-main" returned NaN for baseline, not a number',
    ],
    [
      'reports an error itself',
      async (req) =>
        Object.fromEntries(
          req.series.map((s) => [s.name, { baseline: null, canary: null, error: 'HTTP 503' }]),
        ),
      'HTTP 503',
    ],
  ])(
    'a source that %s yields error readings, and evaluateHealth does not throw',
    async (_label, read, error) => {
      const observation = await evaluateHealth(fakePrometheus(read))(await inputFor());
      expect(observation.errors).toEqual({ baseline: null, canary: null, error });
    },
  );

  test("a source that hangs is cut off at the policy's timeout and aborted", async () => {
    const { policy } = await examplePolicy('canary.yaml');
    const sources = {
      'prometheus-main': { ...policy.sources['prometheus-main'], timeoutSeconds: 1 },
    } as Policy['sources'];
    let aborted = false;
    const registry = fakePrometheus(
      (req) =>
        new Promise(() => {
          req.signal.addEventListener('abort', () => (aborted = true));
        }),
    );
    const observation = await evaluateHealth(registry)(await inputFor({ sources }));
    expect(observation.latency?.error).toBe('source "prometheus-main" failed: timed out after 1s');
    expect(aborted).toBe(true);
  });

  test("a histogram's buckets are readings of their own, each checked; other series get no extra names", async () => {
    const registry = fakePrometheus(async () => ({
      requests: { baseline: 100, canary: 100 },
      requests_le_100: { baseline: 1, canary: 1 },
      errors: { baseline: 0, canary: 0 },
      latency: { baseline: null, canary: null },
      latency_le_100: { baseline: 40, canary: 30 },
      latency_le_300: { baseline: 90, canary: Infinity },
      latency_p99_ms: { baseline: 1, canary: 1 },
    }));
    const observation = await evaluateHealth(registry)(await inputFor());
    expect(observation).toEqual({
      requests: { baseline: 100, canary: 100 },
      errors: { baseline: 0, canary: 0 },
      latency: { baseline: null, canary: null },
      latency_le_100: { baseline: 40, canary: 30 },
      latency_le_300: {
        baseline: null,
        canary: null,
        error: 'source "prometheus-main" returned Infinity for canary, not a number',
      },
    });
  });
});
