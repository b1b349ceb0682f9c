/**
 * Whether this process traces, read from the standard OpenTelemetry variables
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/).
 * Pure: no OpenTelemetry package is loaded to decide, so a process that does
 * not trace pays nothing for the possibility.
 *
 * One deliberate difference from the SDK defaults: with no OTEL_* variable set
 * nothing is traced and no exporter is created (the SDK would export to
 * localhost:4318). Tracing is on when an OTLP endpoint is named, or when
 * OTEL_TRACES_EXPORTER asks for an exporter by name.
 */

export type TraceExporterKind = 'otlp' | 'console';

/** OTLP over HTTP; gRPC is not offered (the worker already speaks gRPC to Temporal through its own runtime). */
export type OtlpProtocol = 'http/json' | 'http/protobuf';

export interface TracingConfig {
  exporters: TraceExporterKind[];
  protocol: OtlpProtocol;
  /** Where OTLP spans go: the full URL, /v1/traces included. */
  endpoint: string;
  /** The `service.name` resource attribute: OTEL_SERVICE_NAME, else the process's own name. */
  serviceName: string;
}

export type TracingSetting =
  { on: true; config: TracingConfig; warnings: string[] } | { on: false; why: string; warnings: string[] };

const DEFAULT_ENDPOINT = 'http://localhost:4318/v1/traces';
const KNOWN_EXPORTERS = new Set(['otlp', 'console', 'none']);

/** An unset or empty variable is the same thing: CI systems template missing values to "". */
function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** The traces endpoint as the OTLP exporter resolves it: the signal's own URL as is, else base + v1/traces. */
export function tracesEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  const specific = read(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (specific) return specific;
  const base = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (!base) return undefined;
  return `${base.endsWith('/') ? base : `${base}/`}v1/traces`;
}

export function tracingSetting(env: NodeJS.ProcessEnv, defaultServiceName: string): TracingSetting {
  const warnings: string[] = [];
  if (read(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true')
    return { on: false, why: 'OTEL_SDK_DISABLED=true', warnings };
  const named = read(env, 'OTEL_TRACES_EXPORTER')
    ?.split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  for (const name of named ?? [])
    if (!KNOWN_EXPORTERS.has(name))
      warnings.push(
        `OTEL_TRACES_EXPORTER names "${name}", which ripcord does not offer (otlp, console, none)`,
      );
  const endpoint = tracesEndpoint(env);
  let exporters: TraceExporterKind[];
  if (named === undefined) {
    if (endpoint === undefined)
      return { on: false, why: 'no OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER', warnings };
    exporters = ['otlp'];
  } else {
    if (named.includes('none')) return { on: false, why: 'OTEL_TRACES_EXPORTER=none', warnings };
    exporters = named.filter((name): name is TraceExporterKind => name === 'otlp' || name === 'console');
    if (exporters.length === 0) return { on: false, why: 'no exporter ripcord offers is named', warnings };
  }
  const asked = (
    read(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? read(env, 'OTEL_EXPORTER_OTLP_PROTOCOL')
  )?.toLowerCase();
  let protocol: OtlpProtocol = 'http/json';
  if (asked === 'http/protobuf' || asked === 'http/json') protocol = asked;
  else if (asked !== undefined && exporters.includes('otlp')) {
    const why = `OTEL_EXPORTER_OTLP_PROTOCOL=${asked}: ripcord exports OTLP over HTTP only (http/json or http/protobuf)`;
    return { on: false, why, warnings: [...warnings, `${why}; tracing is off`] };
  }
  const resolved = endpoint ?? DEFAULT_ENDPOINT;
  try {
    new URL(resolved);
  } catch {
    const why = 'the OTLP endpoint is not a URL';
    return { on: false, why, warnings: [...warnings, `${why}; tracing is off`] };
  }
  return {
    on: true,
    config: {
      exporters,
      protocol,
      endpoint: resolved,
      serviceName: read(env, 'OTEL_SERVICE_NAME') ?? defaultServiceName,
    },
    warnings,
  };
}

/**
 * One line for a banner: where spans go, never how (no credentials: a URL's
 * user, password and query are left out; OTEL_EXPORTER_OTLP_HEADERS is never read here).
 */
export function describeTracing(setting: TracingSetting): string {
  if (!setting.on) return `off (${setting.why})`;
  const { config } = setting;
  const where = config.exporters.map((kind) => {
    if (kind === 'console') return 'the console';
    const url = new URL(config.endpoint);
    return `OTLP/HTTP (${config.protocol}) to ${url.origin}${url.pathname}`;
  });
  return `${where.join(' and ')} as service ${config.serviceName}`;
}
