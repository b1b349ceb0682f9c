import { z } from 'zod';
import { MAX_ALPHA } from '../../decision/config';
import { Name, seconds } from './common';

const signalCommon = {
  name: Name,
  direction: z.enum(['higher-is-worse', 'lower-is-worse']).default('higher-is-worse'),
  comparison: z.enum(['vs-baseline', 'absolute', 'before-after']),
  /** Only with `comparison: absolute`: a rate for ratio, milliseconds for latency, the value for gauge/probe (never for histogram). */
  threshold: z.number().optional(),
  /** The smallest effect worth acting on: a rollback for less would cost more than it saves. */
  tolerance: z
    .strictObject({
      relative: z.number().min(0).max(100).default(0.2),
      absolute: z.number().min(0).default(0),
    })
    .prefault({}),
  critical: z.boolean().default(true),
};

/** A proportion of events, e.g. errors / requests. */
export const RatioSignal = z.strictObject({
  kind: z.literal('ratio'),
  numerator: Name,
  denominator: Name,
  ...signalCommon,
});

// Latency, gauge and probe signals read one value series; `weight` says how many events stand behind each value.
const valueSignal = <K extends 'latency' | 'gauge' | 'probe'>(kind: K) =>
  z.strictObject({
    kind: z.literal(kind),
    series: Name,
    weight: Name.optional(),
    ...signalCommon,
  });

export const LatencySignal = valueSignal('latency');
export const GaugeSignal = valueSignal('gauge');
export const ProbeSignal = valueSignal('probe');

/**
 * Latency judged on a histogram's request counts (src/decision/histogram.ts):
 * the canary's share of requests slower than bounds the baseline rarely
 * exceeds, against the baseline's. `buckets` names a series with `histogram`,
 * `total` the series of all requests. Only `higher-is-worse` and a comparison
 * with another group make sense; the cross-checks say so (signal-rules.ts).
 */
export const HistogramSignal = z.strictObject({
  kind: z.literal('histogram'),
  buckets: Name,
  total: Name,
  ...signalCommon,
});

export const Signal = z.discriminatedUnion('kind', [
  RatioSignal,
  LatencySignal,
  GaugeSignal,
  ProbeSignal,
  HistogramSignal,
]);
export type Signal = z.infer<typeof Signal>;

const EvaluationFields = z.strictObject({
  intervalSeconds: seconds(1, 3600).default(60),
  warmupSeconds: seconds(0, 86_400).default(0),
  alpha: z.number().gt(0).lte(MAX_ALPHA).default(0.05),
  confirmationWindowSeconds: seconds(0, 86_400).optional(),
  minRequestsPerGroup: z.number().int().min(1).max(1_000_000_000).default(100),
  maxInconclusiveSeconds: seconds(1, 86_400).default(900),
  missingData: z
    .strictObject({
      maxGapSeconds: seconds(1, 86_400).default(300),
      onLongGap: z.enum(['escalate', 'hold']).default('escalate'),
    })
    .prefault({}),
});

// The confirmation window defaults to two intervals, so it depends on another field: filled in here,
// still inside the schema, so that every default lives in the schema.
export const Evaluation = EvaluationFields.transform((e) => ({
  ...e,
  confirmationWindowSeconds: e.confirmationWindowSeconds ?? 2 * e.intervalSeconds,
})).prefault({});
export type Evaluation = z.infer<typeof Evaluation>;
