import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { DecisionConfig, RatioSignalConfig, SignalConfig } from '../../../src/decision';
import type { ReleaseScenario } from '../../../src/releases/scenario';
import { parseReleaseScenarioText } from '../../../src/releases/scenario-files';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const RELEASE_DIR = path.join(ROOT, 'test', 'fixtures', 'scenarios', 'release');

export function releaseFixtureNames(): string[] {
  return readdirSync(RELEASE_DIR)
    .filter((n) => n.endsWith('.json'))
    .sort();
}

export function releaseFixture(name: string): ReleaseScenario {
  const file = path.join(RELEASE_DIR, name.endsWith('.json') ? name : `${name}.json`);
  return parseReleaseScenarioText(readFileSync(file, 'utf8'), file);
}

/** The release fixture as plain JSON, to break on purpose. */
export function releaseFixtureJson(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(RELEASE_DIR, `${name}.json`), 'utf8')) as Record<string, unknown>;
}

const ERROR_RATE: RatioSignalConfig = {
  name: 'error-rate',
  kind: 'ratio',
  numerator: 'errors',
  denominator: 'requests',
  direction: 'higher-is-worse',
  comparison: 'vs-baseline',
  tolerance: { relative: 0.2, absolute: 0.001 },
  critical: true,
};

const LATENCY_HISTOGRAM: SignalConfig = {
  name: 'latency',
  kind: 'histogram',
  buckets: 'latency',
  total: 'requests',
  direction: 'higher-is-worse',
  comparison: 'vs-baseline',
  tolerance: { relative: 0.25, absolute: 0 },
  critical: true,
};

const LATENCY_P99: SignalConfig = {
  name: 'latency-p99',
  kind: 'latency',
  series: 'latency_p99_ms',
  weight: 'requests',
  direction: 'higher-is-worse',
  comparison: 'vs-baseline',
  tolerance: { relative: 0.25, absolute: 0 },
  critical: true,
};

/**
 * The evaluation section of policies/examples/canary.yaml, with its signals:
 * latency on the histogram (`histogram`, as canary.yaml) or on the p99
 * (`p99`, as canary-p99-only.yaml). Built here rather than loaded, so that the
 * judge's tests do not depend on the policy schema.
 */
export function canaryConfig(latency: 'histogram' | 'p99'): DecisionConfig {
  return {
    intervalSeconds: 30,
    warmupSeconds: 0,
    alpha: 0.01,
    confirmationWindowSeconds: 45,
    minRequestsPerGroup: 100,
    maxInconclusiveSeconds: 1500,
    missingData: { maxGapSeconds: 120, onLongGap: 'hold' },
    signals: [ERROR_RATE, latency === 'histogram' ? LATENCY_HISTOGRAM : LATENCY_P99],
  };
}
