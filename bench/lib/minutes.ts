import type { Scenario } from '../../src/simulate/scenario';

/**
 * What a threshold tool sees once a minute: the canary's (or baseline's)
 * error rate and p99 over the last minute, as a Prometheus query over a 1m
 * range would return them. A scenario's shorter intervals are pooled into
 * minutes: error rate = errors / requests over the minute's reported
 * intervals; p99 = the request-weighted mean of the intervals' p99s (the p99
 * of pooled requests lies between the smallest and largest of them). No
 * reported interval in a minute, or no request, means no data.
 */
export interface MinuteReading {
  /** Index of the last scenario interval in this minute: when the tool acts. */
  endIndex: number;
  errorRate: number | null;
  p99: number | null;
}

export function intervalsPerMinute(scenario: Scenario): number {
  return Math.max(1, Math.round(60 / scenario.intervalSeconds));
}

export function minuteReadings(scenario: Scenario, group: 'baseline' | 'canary'): MinuteReading[] {
  const per = intervalsPerMinute(scenario);
  const requests = scenario.series.requests?.[group] ?? [];
  const errors = scenario.series.errors?.[group] ?? [];
  const p99s = scenario.series.latency_p99_ms?.[group] ?? [];
  const minutes: MinuteReading[] = [];
  for (let start = 0; start + per <= requests.length; start += per) {
    let req = 0;
    let err = 0;
    let weighted = 0;
    let weight = 0;
    let reported = false;
    for (let i = start; i < start + per; i++) {
      const r = requests[i];
      const e = errors[i];
      if (r !== null && r !== undefined && e !== null && e !== undefined) {
        reported = true;
        req += r;
        err += e;
      }
      const p = p99s[i];
      if (p !== null && p !== undefined && r !== null && r !== undefined && r > 0) {
        weighted += p * r;
        weight += r;
      }
    }
    minutes.push({
      endIndex: start + per - 1,
      errorRate: reported && req > 0 ? err / req : null,
      p99: weight > 0 ? weighted / weight : null,
    });
  }
  return minutes;
}

/**
 * Threshold levels with headroom over the service's normal levels. The normal
 * levels are the generator's own (params.base, params.p99) when the scenario
 * records them, which spares the other tools any estimation noise; otherwise
 * they are learned from the baseline group's first five minutes, as an
 * operator would read them off a dashboard (pooled error rate; median
 * per-minute p99). Error rate: at most max(2 × normal, normal + 0.5
 * percentage points). p99: at most 1.3 × normal.
 */
export interface Thresholds {
  maxErrorRate: number;
  maxP99: number;
  /** Where the normal levels came from. */
  source: { errorRate: 'known' | 'learned'; p99: 'known' | 'learned' };
}

function knownParam(scenario: Scenario, name: string): number | undefined {
  const value = scenario.params?.[name];
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

export function learnThresholds(scenario: Scenario): Thresholds {
  const per = intervalsPerMinute(scenario);
  const learnIntervals = 5 * per;
  const req = scenario.series.requests?.baseline ?? [];
  const err = scenario.series.errors?.baseline ?? [];
  let r = 0;
  let e = 0;
  for (let i = 0; i < Math.min(learnIntervals, req.length); i++) {
    const ri = req[i];
    const ei = err[i];
    if (ri !== null && ri !== undefined && ei !== null && ei !== undefined) {
      r += ri;
      e += ei;
    }
  }
  const knownError = knownParam(scenario, 'base');
  const normalError = knownError ?? (r > 0 ? e / r : 0);
  const p99s = minuteReadings(scenario, 'baseline')
    .slice(0, 5)
    .map((m) => m.p99)
    .filter((p): p is number => p !== null)
    .sort((a, b) => a - b);
  const knownP99 = knownParam(scenario, 'p99');
  const normalP99 = knownP99 ?? (p99s.length > 0 ? (p99s[Math.floor((p99s.length - 1) / 2)] ?? 0) : Infinity);
  return {
    maxErrorRate: Math.max(2 * normalError, normalError + 0.005),
    maxP99: 1.3 * normalP99,
    source: {
      errorRate: knownError === undefined ? 'learned' : 'known',
      p99: knownP99 === undefined ? 'learned' : 'known',
    },
  };
}
