import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ScenarioFileError, parseScenarioText } from '../../../src/simulate/scenario-files';
import { INVALID_DIR, SHARED_DIR } from './support';

function problemsOf(text: string): string[] {
  try {
    parseScenarioText(text, 'x.json');
  } catch (err) {
    if (err instanceof ScenarioFileError) return err.problems;
    throw err;
  }
  return [];
}

/** A scenario document as plain JSON, loose enough to break on purpose. */
interface Doc {
  format?: unknown;
  intervalSeconds?: unknown;
  truth?: unknown;
  series: Record<string, Record<string, unknown[]>>;
}
const valid = () => JSON.parse(readFileSync(path.join(SHARED_DIR, 'healthy-01.json'), 'utf8')) as Doc;
const values = (d: Doc, series: string, group: string): unknown[] => d.series[series]?.[group] ?? [];

describe('scenario validation (ripcord.scenario/v1)', () => {
  it('accepts the shared examples', () => {
    expect(problemsOf(JSON.stringify(valid()))).toEqual([]);
  });

  it.each([
    {
      name: 'another format',
      mutate: (d: Doc) => (d.format = 'ripcord.scenario/v2'),
      problems: ['format: must be "ripcord.scenario/v1"'],
    },
    {
      name: 'more errors than requests',
      mutate: (d: Doc) => (values(d, 'errors', 'canary')[4] = Number(values(d, 'requests', 'canary')[4]) + 1),
      problems: [/^series\.errors\.canary\[4\]: \d+ errors but only \d+ requests/],
    },
    {
      name: 'a series shorter than the others',
      mutate: (d: Doc) => values(d, 'latency_p99_ms', 'baseline').pop(),
      problems: [/^series\.latency_p99_ms\.baseline: has 119 values but series\.requests\.baseline has 120/],
    },
    {
      name: 'a negative count',
      mutate: (d: Doc) => (values(d, 'requests', 'baseline')[2] = -3),
      problems: ['series.requests.baseline[2]: must be a number of zero or more (or null)'],
    },
    {
      name: 'a value that is not a number',
      mutate: (d: Doc) => (values(d, 'requests', 'canary')[0] = 'lots'),
      problems: [/^series\.requests\.canary\[0\]: /],
    },
    {
      name: 'an onset beyond the data',
      mutate: (d: Doc) => (d.truth = { regression: true, onsetIndex: 500 }),
      problems: ['truth.onsetIndex: is 500 but the scenario has only 120 intervals'],
    },
    {
      name: 'no interval length',
      mutate: (d: Doc) => delete d.intervalSeconds,
      problems: [/^intervalSeconds: /],
    },
    {
      name: 'a group missing',
      mutate: (d: Doc) => delete d.series.errors?.canary,
      problems: [/^series\.errors\.canary: /],
    },
  ])('reports $name with its path', ({ mutate, problems }) => {
    const doc = valid();
    mutate(doc);
    const found = problemsOf(JSON.stringify(doc));
    expect(found).toHaveLength(problems.length);
    problems.forEach((p, i) => expect(found[i]).toMatch(p));
  });

  it('reports every problem of a file at once', () => {
    const found = problemsOf(readFileSync(path.join(INVALID_DIR, 'bad-counts.json'), 'utf8'));
    expect(found).toEqual([
      'series.requests.baseline[7]: must be a number of zero or more (or null)',
      'series.latency_p99_ms.baseline: has 118 values but series.requests.baseline has 120: every series needs one value per interval',
      'series.errors.canary[3]: 71 errors but only 66 requests in this interval',
    ]);
  });

  it('accepts nulls where no data arrived', () => {
    const doc = valid();
    values(doc, 'requests', 'canary')[0] = null;
    values(doc, 'errors', 'canary')[0] = null;
    expect(problemsOf(JSON.stringify(doc))).toEqual([]);
  });

  it('says when a file is not JSON', () => {
    expect(problemsOf('{"format":')[0]).toMatch(/^not valid JSON/);
  });
});
