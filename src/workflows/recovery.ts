import { observedQuantile, type Observation } from '../decision';
import type { Policy } from '../policy';

export interface RecoveryCheck {
  met: boolean;
  /** One line per target: value seen against the threshold. */
  details: string[];
}

function usable(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

/**
 * Whether health is back under the policy's recovery targets, judged on the
 * baseline group: after a rollback the previous version serves all traffic, so
 * its health is the service's health. No data is never recovered.
 */
export function checkRecovery(
  policy: Policy,
  observation: Observation,
  only?: readonly string[],
): RecoveryCheck {
  const details: string[] = [];
  let met = true;
  for (const target of policy.recovery.targets) {
    if (only && !only.includes(target.signal)) continue;
    const signal = policy.signals.find((s) => s.name === target.signal);
    if (!signal) continue;
    let value: number | null;
    if (signal.kind === 'ratio') {
      const num = observation[signal.numerator];
      const den = observation[signal.denominator];
      const events = usable(num?.baseline);
      const total = usable(den?.baseline);
      value = events !== null && total !== null && total > 0 ? events / total : null;
    } else if (signal.kind === 'histogram') {
      // The threshold is a p99 in ms, estimated from the buckets as histogram_quantile does.
      value = observedQuantile(0.99, observation, signal, 'baseline');
    } else {
      value = usable(observation[signal.series]?.baseline);
    }
    if (value === null) {
      met = false;
      details.push(`${target.signal}: no data`);
      continue;
    }
    const ok = signal.direction === 'lower-is-worse' ? value >= target.threshold : value <= target.threshold;
    if (!ok) met = false;
    details.push(
      `${target.signal}: ${Number(value.toPrecision(4))} ${ok ? 'within' : 'beyond'} ${target.threshold}`,
    );
  }
  return { met, details };
}
