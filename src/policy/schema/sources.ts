import { z } from 'zod';
import { HttpUrl, Name, SecretRef, seconds } from './common';

/** How ripcord authenticates to a source; the credential itself stays in the secret store. */
export const SourceAuth = z.strictObject({
  scheme: z.enum(['bearer', 'basic']).default('bearer'),
  secret: SecretRef,
});

export const PrometheusSource = z.strictObject({
  type: z.literal('prometheus'),
  url: HttpUrl,
  timeoutSeconds: seconds(1, 120).default(10),
  auth: SourceAuth.optional(),
});

/** Synthetic end-to-end transactions: ripcord calls the service as a user would. */
export const ProbeSource = z.strictObject({
  type: z.literal('probe'),
  url: HttpUrl,
  method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
  expectStatus: z.number().int().min(100).max(599).default(200),
  timeoutSeconds: seconds(1, 120).default(10),
  auth: SourceAuth.optional(),
});

/** Recorded scenario files (ripcord.scenario/v1), for simulation and tests. */
export const ReplaySource = z.strictObject({
  type: z.literal('replay'),
  path: z.string().min(1),
  /** A release scenario (ripcord.release-scenario/v1): the service whose series this source replays. */
  member: z.string().min(1).optional(),
});

// The registry of source types is closed: an unknown type is a policy error, never a silent default.
export const Source = z.discriminatedUnion('type', [PrometheusSource, ProbeSource, ReplaySource]);
export type Source = z.infer<typeof Source>;
export const SOURCE_TYPES = ['prometheus', 'probe', 'replay'] as const;

export const Sources = z.record(Name, Source);
export type Sources = z.infer<typeof Sources>;

/** Placeholders a series query may use; the guardian fills them per group at each evaluation. */
export const QUERY_PLACEHOLDERS = ['group', 'version', 'service', 'environment', 'interval'] as const;

/**
 * A series whose query returns a Prometheus histogram: one value per `le`
 * label (a vector, not one number), each the requests of the interval that
 * took at most that long. Its buckets become the series `<name>_le_<ms>`
 * (bounds always in milliseconds), which a `kind: histogram` signal reads.
 */
export const HistogramOptions = z.strictObject({
  /** The unit of the query's `le` labels: seconds, as Prometheus client libraries record them, or milliseconds. */
  leUnit: z.enum(['seconds', 'milliseconds']).default('seconds'),
});
export type HistogramOptions = z.infer<typeof HistogramOptions>;

export const Series = z.strictObject({
  source: Name,
  query: z.string().min(1),
  histogram: HistogramOptions.optional(),
});
export type Series = z.infer<typeof Series>;

export const SeriesMap = z.record(Name, Series);
