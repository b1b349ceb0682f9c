import type { Series, Source } from '../../policy';
import type { Scenario } from '../../simulate/scenario';
import { ScenarioFileError } from '../../simulate/scenario-files';
import { histogramOf, isBucketOf } from '../histogram';
import type { HealthReadRequest, HealthSource, SeriesReading, SeriesReadings } from '../types';
import { ScenarioCache } from './scenario-cache';

export { ScenarioCache } from './scenario-cache';

type ReplayConfig = Extract<Source, { type: 'replay' }>;

/**
 * Replays a recorded or generated scenario (ripcord.scenario/v1): the reading
 * of series `s` at interval `i` is `series[s].baseline[i]` and `.canary[i]`.
 * Past the end of the file there is no data (null), which the decision core
 * treats as missing, never as healthy. A policy series is matched by its name;
 * its query is not used. Rehearsals replace every source of the policy by one
 * scenario the same way (docs/architecture.md §4).
 *
 * A histogram series (`histogram` in the policy) is the scenario's buckets:
 * every series `<name>_le_<ms>` passes through as it is, and the name itself
 * has no value (sources/histogram.ts).
 */
export class ReplayHealthSource implements HealthSource<ReplayConfig> {
  readonly type = 'replay' as const;

  constructor(private readonly cache: ScenarioCache = new ScenarioCache()) {}

  async read(request: HealthReadRequest<ReplayConfig>): Promise<SeriesReadings> {
    const names = request.series.map((s) => s.name);
    const loaded = await this.loadSafely(request.source.path, request.source.member);
    if ('error' in loaded) return errorReadings(names, loaded.error);
    const { scenario } = loaded;
    return Object.fromEntries(
      request.series.flatMap((series) =>
        histogramOf(series) === undefined
          ? [[series.name, readingAt(scenario, series.name, request.index)]]
          : histogramAt(scenario, series, request.index),
      ),
    );
  }

  private async loadSafely(
    file: string,
    member?: string,
  ): Promise<{ scenario: Scenario } | { error: string }> {
    try {
      return {
        scenario:
          member === undefined ? await this.cache.load(file) : await this.cache.loadService(file, member),
      };
    } catch (error) {
      // The reason goes into workflow history: never the file's content, only what is wrong with it.
      const code = (error as NodeJS.ErrnoException).code;
      const reason =
        error instanceof ScenarioFileError
          ? error.summary
          : code === 'ENOENT'
            ? 'no such file'
            : typeof code === 'string'
              ? `cannot read it (${code})`
              : 'cannot read it';
      return { error: `cannot replay scenario ${file}: ${reason}` };
    }
  }
}

export function readingAt(scenario: Scenario, name: string, index: number): SeriesReading {
  const series = scenario.series[name];
  if (series === undefined) {
    return { baseline: null, canary: null, error: `scenario "${scenario.name}" has no series "${name}"` };
  }
  if (!Number.isInteger(index) || index < 0) {
    return { baseline: null, canary: null, error: `interval ${index} is not a scenario index` };
  }
  return { baseline: series.baseline[index] ?? null, canary: series.canary[index] ?? null };
}

/** A histogram series at one interval: its buckets, and its name without a value (or why there is none). */
export function histogramAt(
  scenario: Scenario,
  series: { name: string } & Series,
  index: number,
): Array<[string, SeriesReading]> {
  const buckets = Object.keys(scenario.series).filter((key) => isBucketOf(series.name, key));
  if (buckets.length === 0) {
    const error = `scenario "${scenario.name}" has no buckets ${series.name}_le_<ms> for histogram "${series.name}"`;
    return [[series.name, { baseline: null, canary: null, error }]];
  }
  const readings = buckets.map((key): [string, SeriesReading] => [key, readingAt(scenario, key, index)]);
  const own = readingAt(scenario, series.name, index);
  const name: SeriesReading = own.error === undefined ? own : { baseline: null, canary: null };
  // An index that is not a scenario index is an error on every bucket; say it on the name too.
  const failed = readings.find(([, reading]) => reading.error !== undefined)?.[1];
  return [[series.name, failed ?? name], ...readings];
}

export function errorReadings(names: readonly string[], error: string): SeriesReadings {
  return Object.fromEntries(names.map((name) => [name, { baseline: null, canary: null, error }]));
}
