/** Health sources behind one interface (DESIGN §2, §8); Prometheus and probes arrive with the next issue. */
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
