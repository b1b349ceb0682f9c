import { createRandom, mixSeed, type Random } from '../simulate/random';
import { SCENARIO_FORMAT, type Scenario } from '../simulate/scenario';
import type { Signal } from '../policy/schema/signals';
import { trafficSeriesOf, type LevelPoint, type SignalProfile } from './learn';

/**
 * Scenarios made from the service's own history, to check a proposal with the
 * decision core: a random stretch of the learned levels (traffic, error rate,
 * p99) is replayed for both groups, each group drawing its own counts and its
 * own per-interval wobble around them. A regression multiplies one signal of
 * the canary from an onset on.
 */

export type CheckCase =
  | { kind: 'healthy' }
  | { kind: 'regression'; signal: string; relative: number; absolute: number; label: string };

export interface ScenarioModel {
  signals: readonly Signal[];
  profiles: readonly SignalProfile[];
  intervalSeconds: number;
  /** Intervals per scenario. */
  length: number;
  canaryShare: number;
}

/** The level nearest to time t (the timeline is sorted by time). */
function nearest(timeline: readonly LevelPoint[], t: number): LevelPoint {
  let low = 0;
  let high = timeline.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (timeline[mid]!.t < t) low = mid + 1;
    else high = mid;
  }
  const after = timeline[low]!;
  const before = timeline[Math.max(0, low - 1)]!;
  return Math.abs(before.t - t) <= Math.abs(after.t - t) ? before : after;
}

function span(timeline: readonly LevelPoint[]): { from: number; to: number } {
  return { from: timeline[0]!.t, to: timeline[timeline.length - 1]!.t };
}

/** Requests per second at time t from the first profile that knows the service's traffic. */
function trafficAt(profiles: readonly SignalProfile[], t: number): number {
  for (const profile of profiles) {
    if (!Number.isFinite(profile.requestsPerSecond)) continue;
    const rps = nearest(profile.timeline, t).rps;
    return Number.isFinite(rps) ? rps : profile.requestsPerSecond;
  }
  return NaN;
}

export function generateCheckScenario(
  model: ScenarioModel,
  check: CheckCase,
  seed: number,
  index: number,
): Scenario {
  const random = createRandom(mixSeed(seed, check.kind === 'healthy' ? 0 : 1 + hash(check.label), index));
  const dt = model.intervalSeconds;
  const n = model.length;
  const timelines = model.profiles.map((p) => p.timeline);
  const { from, to } = span(timelines[0]!);
  // A random start in the history; a watch longer than the history wraps around.
  const start = from + random.uniform(0, Math.max(0, to - from - n * dt));
  const timeAt = (i: number) => (to > from ? from + ((start - from + i * dt) % (to - from + dt)) : from);
  const onset = random.integer(Math.floor(0.2 * n), Math.floor(0.5 * n));
  const share = { baseline: 1 - model.canaryShare, canary: model.canaryShare } as const;

  const series: Record<string, { baseline: (number | null)[]; canary: (number | null)[] }> = {};
  const put = (name: string, group: 'baseline' | 'canary', value: number | null) => {
    series[name] ??= { baseline: [], canary: [] };
    series[name][group].push(value);
  };
  const trafficNames = new Set(model.signals.map(trafficSeriesOf).filter((s) => s !== undefined));
  for (let i = 0; i < n; i++) {
    const t = timeAt(i);
    const rps = trafficAt(model.profiles, t);
    for (const group of ['baseline', 'canary'] as const) {
      const regressed = (signal: string) =>
        group === 'canary' && check.kind === 'regression' && check.signal === signal && i >= onset;
      const requests = Number.isFinite(rps) ? random.poisson(rps * share[group] * dt) : null;
      for (const name of trafficNames) put(name, group, requests);
      model.signals.forEach((signal, s) => {
        const profile = model.profiles[s]!;
        const level = nearest(profile.timeline, t).level;
        if (signal.kind === 'ratio') {
          let rate = level;
          if (regressed(signal.name) && check.kind === 'regression') {
            rate = Math.max(level * (1 + check.relative), level + check.absolute);
          }
          // The denominator is a traffic series, drawn above for every signal that reads it.
          put(signal.numerator, group, random.binomial(requests ?? 0, Math.min(1, rate)));
          return;
        }
        // A histogram signal's buckets are not learned (learn.ts): its scenarios carry only its traffic.
        if (signal.kind === 'histogram' || profile.kind !== 'value') return;
        let value = wobble(
          random,
          level,
          profile.intervalNoise,
          signal.weight === undefined ? 1 : share[group],
        );
        if (regressed(signal.name) && check.kind === 'regression') {
          value = value * (1 + check.relative) + check.absolute;
        }
        put(signal.series, group, Number(value.toPrecision(6)));
      });
    }
  }
  return {
    format: SCENARIO_FORMAT,
    name: `${check.kind === 'healthy' ? 'healthy' : check.label}-${String(index).padStart(3, '0')}`,
    intervalSeconds: dt,
    truth:
      check.kind === 'healthy'
        ? { regression: false, expect: 'no-rollback' }
        : { regression: true, onsetIndex: onset, kind: check.signal },
    series,
  };
}

/**
 * One interval's value around its level. The learned wobble was measured on
 * the whole service's traffic; a group sees only its share of it, and a
 * quantile of fewer requests wobbles more (as 1/sqrt(requests)).
 */
function wobble(random: Random, level: number, noise: number, share: number): number {
  return level * Math.exp(random.normal(0, noise / Math.sqrt(Math.max(share, 1e-6))));
}

function hash(text: string): number {
  let h = 0;
  for (const ch of text) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return h;
}
