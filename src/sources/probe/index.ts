import type { Source } from '../../policy';
import { envSecretProvider, SecretError, type SecretProvider } from '../../security/secrets';
import { credentials } from '../prometheus/auth';
import { queryVariables, renderQuery } from '../query-template';
import { errorReadings } from '../replay';
import type { GroupName, HealthReadRequest, HealthSource, SeriesReading, SeriesReadings } from '../types';
import { measure, parseProbeQuery, PROBE_QUERY_HELP, type ProbeMeasure, type ProbeResult } from './measures';
import { sendProbe } from './send';

export {
  measure,
  parseProbeQuery,
  percentile,
  PROBE_QUERY_HELP,
  type ProbeMeasure,
  type ProbeResult,
} from './measures';
export { sendProbe, type ProbeRequest } from './send';

type ProbeConfig = Extract<Source, { type: 'probe' }>;

/**
 * Probes per group and evaluation. The policy schema has no field for it
 * (ProbeSource: url, method, expectStatus, timeoutSeconds, auth), so it is a
 * constructor option with this default: enough for a success share to mean
 * something each interval, little enough to be no load on the service.
 */
export const DEFAULT_PROBES_PER_GROUP = 10;

// The guardian gives the whole source `timeoutSeconds`; each probe gets a little less, so that a probe
// that times out is counted as a failed probe instead of the whole read becoming an error.
const MARGIN_MS = 500;

const GROUP_PLACEHOLDER = /\{\{\s*(group|version)\s*\}\}/;

export interface ProbeSourceOptions {
  /** Where `${secret:NAME}` references are resolved; the environment by default. */
  secrets?: SecretProvider;
  probesPerGroup?: number;
}

/**
 * Synthetic end-to-end transactions (docs/architecture.md §1: "end-to-end probes"). Each
 * evaluation sends `probesPerGroup` requests at once per group to the
 * source's URL with its placeholders filled for that group ({{group}},
 * {{version}}, {{service}}, {{environment}}, {{interval}}; values URL-encoded),
 * and serves every series of the source from those same probes: the series'
 * `query` names the measure (see ./measures.ts).
 *
 * A URL without {{group}} or {{version}} cannot tell the versions apart: it is
 * probed once, as the canary (what the URL serves after a deploy is the new
 * version), and the baseline has no data, so that a comparison with the
 * baseline stays inconclusive instead of comparing a thing with itself.
 *
 * Failures are data: a failed probe is an error count; a problem with the
 * source itself (unknown measure, a URL that does not render, a secret that
 * cannot be resolved) is an error reading, never an exception.
 */
export class ProbeHealthSource implements HealthSource<ProbeConfig> {
  readonly type = 'probe' as const;
  private readonly secrets: SecretProvider;
  private readonly probesPerGroup: number;

  constructor(options: ProbeSourceOptions = {}) {
    this.secrets = options.secrets ?? envSecretProvider();
    this.probesPerGroup = options.probesPerGroup ?? DEFAULT_PROBES_PER_GROUP;
    if (!Number.isInteger(this.probesPerGroup) || this.probesPerGroup < 1) {
      throw new Error('probesPerGroup must be a whole number of at least 1');
    }
  }

  async read(request: HealthReadRequest<ProbeConfig>): Promise<SeriesReadings> {
    const measures = new Map<string, ProbeMeasure>();
    const readings: SeriesReadings = {};
    for (const series of request.series) {
      const parsed = parseProbeQuery(series.query);
      if (parsed === undefined) {
        readings[series.name] = {
          baseline: null,
          canary: null,
          error: `probe series "${series.name}": query "${series.query.slice(0, 60)}" is not a probe measure (${PROBE_QUERY_HELP})`,
        };
      } else {
        measures.set(series.name, parsed);
      }
    }
    if (measures.size === 0) return readings;
    const names = [...measures.keys()];

    let headers: Record<string, string>;
    try {
      headers = credentials(request.source.auth, this.secrets).headers;
    } catch (error) {
      // A SecretError names the secret, never its value; anything else is not ours to show.
      const message = error instanceof SecretError ? error.message : 'cannot prepare credentials';
      return { ...readings, ...errorReadings(names, message) };
    }

    const groups: GroupName[] = GROUP_PLACEHOLDER.test(request.source.url)
      ? ['baseline', 'canary']
      : ['canary'];
    const urls = new Map<GroupName, URL>();
    for (const group of groups) {
      const url = renderUrl(request, group);
      if ('error' in url) return { ...readings, ...errorReadings(names, url.error) };
      urls.set(group, url.url);
    }

    const timeoutMs = Math.max(
      request.source.timeoutSeconds * 1000 - MARGIN_MS,
      request.source.timeoutSeconds * 500,
    );
    const results = new Map<GroupName, ProbeResult[]>();
    await Promise.all(
      [...urls].map(async ([group, url]) => {
        const probes = Array.from({ length: this.probesPerGroup }, () =>
          sendProbe({
            url,
            method: request.source.method,
            headers,
            expectStatus: request.source.expectStatus,
            timeoutMs,
            signal: request.signal,
          }),
        );
        results.set(group, await Promise.all(probes));
      }),
    );
    // Probes cut short by cancellation measured nothing.
    if (request.signal.aborted) return { ...readings, ...errorReadings(names, 'probes cancelled') };

    for (const [name, what] of measures) {
      const reading: SeriesReading = {
        baseline: measure(results.get('baseline') ?? [], what),
        canary: measure(results.get('canary') ?? [], what),
      };
      readings[name] = reading;
    }
    return readings;
  }
}

/**
 * The URL for one group. Values are URL-encoded so that a version such as
 * "2.0.0+build.7" stays one path segment or query value. The result names no
 * secret (the URL has no credentials: the policy schema refuses them).
 */
function renderUrl(
  request: HealthReadRequest<ProbeConfig>,
  group: GroupName,
): { url: URL } | { error: string } {
  const variables = Object.fromEntries(
    Object.entries(queryVariables(request, group)).map(([name, value]) => [name, encodeURIComponent(value)]),
  );
  let text: string;
  try {
    text = renderQuery(request.source.url, variables);
  } catch (error) {
    return { error: `probe URL: ${error instanceof Error ? error.message : String(error)}` };
  }
  try {
    return { url: new URL(text) };
  } catch {
    return { error: `probe URL for the ${group} is not a URL once its placeholders are filled in` };
  }
}
