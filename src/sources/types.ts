import type { Observation, SeriesReading } from '../decision';
import type { Series, Source } from '../policy';
import type { DeploymentInfo } from '../model/guardian';

/**
 * A health source reads the policy's series for one evaluation interval. One
 * call per source and interval carries every series that source serves, so a
 * source can batch (Prometheus) or share one request (a probe).
 *
 * Failures are data: a source returns a reading with `error` for a series it
 * could not read, and throws only for bugs. The activity also turns a throw, a
 * timeout or a missing reading into an `error` reading, so the decision core
 * always gets an answer for every series (docs/architecture.md §8).
 */
export interface HealthSource<S extends Source = Source> {
  readonly type: S['type'];
  read(request: HealthReadRequest<S>): Promise<SeriesReadings>;
}

/** The two groups compared, and what distinguishes them in queries. */
export type GroupName = 'baseline' | 'canary';
export interface GroupInfo {
  version: string;
}

export interface HealthReadRequest<S extends Source = Source> {
  /** The source's name in the policy, for messages. */
  sourceName: string;
  /** The source's configuration from the policy (secret fields are still references). */
  source: S;
  /** The series this source serves: the name in the policy and its query template. */
  series: ReadonlyArray<{ name: string } & Series>;
  deployment: DeploymentInfo;
  /** Interval number since the watch began. */
  index: number;
  intervalSeconds: number;
  /** Baseline: the previous version; canary: the new one. Queries are filled in once per group. */
  groups: Readonly<Record<GroupName, GroupInfo>>;
  /** Aborted at the source's timeout or when the activity is cancelled: pass it to every request. */
  signal: AbortSignal;
}

/** One reading per series name. */
export type SeriesReadings = Record<string, SeriesReading>;

export type { Observation, SeriesReading };
