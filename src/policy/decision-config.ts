import type { DecisionConfig, SignalConfig } from '../decision';
import type { Policy } from '.';

/**
 * Maps a validated policy onto the decision core's own configuration. The
 * policy schema has already applied every default and checked every field, so
 * this is a field-by-field copy; it lives outside src/decision because the
 * core may not depend on the policy module (docs/architecture.md §2).
 */
export function decisionConfigFromPolicy(policy: Policy): DecisionConfig {
  const { evaluation } = policy;
  return {
    intervalSeconds: evaluation.intervalSeconds,
    warmupSeconds: evaluation.warmupSeconds,
    alpha: evaluation.alpha,
    confirmationWindowSeconds: evaluation.confirmationWindowSeconds,
    minRequestsPerGroup: evaluation.minRequestsPerGroup,
    maxInconclusiveSeconds: evaluation.maxInconclusiveSeconds,
    missingData: {
      maxGapSeconds: evaluation.missingData.maxGapSeconds,
      onLongGap: evaluation.missingData.onLongGap,
    },
    signals: policy.signals.map((signal): SignalConfig => {
      const common = {
        name: signal.name,
        direction: signal.direction,
        comparison: signal.comparison,
        ...(signal.threshold === undefined ? {} : { threshold: signal.threshold }),
        tolerance: { relative: signal.tolerance.relative, absolute: signal.tolerance.absolute },
        critical: signal.critical,
      };
      if (signal.kind === 'ratio') {
        return { ...common, kind: 'ratio', numerator: signal.numerator, denominator: signal.denominator };
      }
      if (signal.kind === 'histogram') {
        // The core reads the buckets as `<buckets>_le_<ms>`, the names a histogram series' readings carry.
        return { ...common, kind: 'histogram', buckets: signal.buckets, total: signal.total };
      }
      return {
        ...common,
        kind: signal.kind,
        series: signal.series,
        ...(signal.weight === undefined ? {} : { weight: signal.weight }),
      };
    }),
  };
}
