import { renderQuery } from '../sources/query-template';
import type { Policy } from '../policy/schema/policy';

/**
 * Which PromQL to read history with. A guardian fills a series query per
 * group with that group's version; history has no canary, so the version (and
 * group) matchers are widened to every version of the service unless one
 * version is named. Everything else is filled the way the Prometheus source
 * fills it (src/sources/query-template.ts).
 */

export interface HistoryQueryContext {
  service: string;
  environment: string;
  intervalSeconds: number;
  /** Read only this version's series; else every version. */
  version?: string;
}

/**
 * The demo service's metric names (src/dev/fleet/demo-service.ts), as
 * policies/examples/canary-p99-only.yaml reads them.
 */
export const DEFAULT_SERIES: Readonly<Record<string, string>> = {
  requests: 'sum(increase(http_requests_total{service="{{service}}",version="{{version}}"}[{{interval}}]))',
  // A version that has never failed has no 5xx series: 0 errors, not no data.
  errors:
    'sum(increase(http_requests_total{service="{{service}}",version="{{version}}",code=~"5.."}[{{interval}}])) or vector(0)',
  latency_p99_ms:
    '1000 * histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}",version="{{version}}"}[{{interval}}])))',
};

const PER_GROUP_MATCHER = /([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"\{\{\s*(version|group)\s*\}\}"/g;

/** `version="{{version}}"` → `version=~".+"` (every version), or the named version when one is given. */
export function widenGroupMatchers(template: string, version: string | undefined): string {
  return template.replace(PER_GROUP_MATCHER, (match, label: string, placeholder: string) => {
    if (placeholder === 'version' && version !== undefined) return match;
    return `${label}=~".+"`;
  });
}

export function historyQuery(template: string, context: HistoryQueryContext): string {
  return renderQuery(widenGroupMatchers(template, context.version), {
    service: context.service,
    environment: context.environment,
    interval: `${context.intervalSeconds}s`,
    version: context.version ?? '',
    group: 'baseline',
  });
}

/** The series whose history a signal's proposal needs: a histogram's buckets are not read, only its traffic. */
function seriesLearnedFrom(signal: Policy['signals'][number]): string[] {
  if (signal.kind === 'ratio') return [signal.numerator, signal.denominator];
  if (signal.kind === 'histogram') return [signal.total];
  return [signal.series, ...(signal.weight ? [signal.weight] : [])];
}

/** The series the policy's signals read, each with its history query. */
export function historyQueries(policy: Policy, context: HistoryQueryContext): Record<string, string> {
  const names = new Set(policy.signals.flatMap(seriesLearnedFrom));
  const out: Record<string, string> = {};
  for (const name of names) {
    const series = policy.series[name];
    if (series === undefined) continue; // the policy's own validation names a missing series
    const source = policy.sources[series.source];
    if (source?.type !== 'prometheus') {
      throw new Error(
        `series ${name} reads source ${series.source} of type ${source?.type ?? 'unknown'}: ` +
          'suggestions are learned from Prometheus only',
      );
    }
    out[name] = historyQuery(series.query, context);
  }
  return out;
}
