import type { Source } from '../../policy';
import type { Scenario } from '../../simulate/scenario';
import { ScenarioFileError } from '../../simulate/scenario-files';
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
 */
export class ReplayHealthSource implements HealthSource<ReplayConfig> {
  readonly type = 'replay' as const;

  constructor(private readonly cache: ScenarioCache = new ScenarioCache()) {}

  async read(request: HealthReadRequest<ReplayConfig>): Promise<SeriesReadings> {
    const names = request.series.map((s) => s.name);
    const loaded = await this.loadSafely(request.source.path);
    if ('error' in loaded) return errorReadings(names, loaded.error);
    return Object.fromEntries(names.map((name) => [name, readingAt(loaded.scenario, name, request.index)]));
  }

  private async loadSafely(file: string): Promise<{ scenario: Scenario } | { error: string }> {
    try {
      return { scenario: await this.cache.load(file) };
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

export function errorReadings(names: readonly string[], error: string): SeriesReadings {
  return Object.fromEntries(names.map((name) => [name, { baseline: null, canary: null, error }]));
}
