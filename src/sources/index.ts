/** Health sources behind one interface (docs/architecture.md §2, §8): Prometheus, synthetic probes and replayed scenarios. */
export type {
  GroupInfo,
  GroupName,
  HealthReadRequest,
  HealthSource,
  Observation,
  SeriesReading,
  SeriesReadings,
} from './types';
export { SourceRegistry } from './registry';
export { queryVariables, renderQuery } from './query-template';
export { ReplayHealthSource, ScenarioCache, errorReadings, readingAt } from './replay';
