import { z } from 'zod';

/**
 * The nginx traffic target's entry in the worker's targets file.
 *
 * ```yaml
 * type: nginx
 * nginxBinary: /usr/sbin/nginx        # optional; else $RIPCORD_NGINX_BIN, PATH, /usr/sbin/nginx
 * prefix: /srv/edge                   # optional: nginx -p
 * confFile: /srv/edge/nginx.conf      # nginx -c: the full config, tested with `nginx -t` before every reload
 * pidFile: /srv/edge/nginx.pid        # the master's pid file (the conf's `pid`); reload = SIGHUP to it
 * upstreamsDir: /srv/edge/upstreams   # the conf includes <upstreamsDir>/*.conf inside `http {}`
 * stateDir: /var/lib/ripcord/nginx    # one snapshot per step idempotency key
 * pauseScale: 1                       # multiplies the pauses between traffic stages (tests: 0)
 * reloadTimeoutSeconds: 10            # how long a reload may take before the step fails (retryable)
 * services:
 *   checkout:                         # the deployment's service name
 *     pattern: canary                 # shift-traffic: baseline gets 100 - w, canary w
 *     baseline: 127.0.0.1:8081        # runs deployment.previousVersion
 *     canary: 127.0.0.1:8082          # runs deployment.version
 *     upstream: checkout              # optional: the `upstream` block's name (default: the service name)
 *     probe:                          # optional: read the effect back through nginx
 *       url: http://127.0.0.1:8080/
 *       host: checkout                # optional Host header (host-routed nginx)
 *       count: 20
 *       version: { header: x-version }  # or { bodyPattern: 'version=([0-9.]+)' }
 *   payments:
 *     pattern: blue-green             # swap-blue-green: the colour that was live before goes live again
 *     blue: 127.0.0.1:9081
 *     green: 127.0.0.1:9082
 * ```
 *
 * The file `<upstreamsDir>/<service>.conf` belongs to ripcord: it is rewritten
 * from a small state model (see upstream.ts) and must not be edited by hand.
 */

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
// host:port, where host is a DNS name, an IPv4 address or a bracketed IPv6 address. Nothing else,
// because the address is written into nginx configuration text.
const ADDRESS = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):(\d{1,5})$/;

export const ServiceName = z
  .string()
  .regex(NAME, 'a service or upstream name: letters, digits, "_", "." and "-", at most 64');

export const UpstreamAddress = z
  .string()
  .regex(ADDRESS, 'an address "host:port" (a DNS name, IPv4 or [IPv6] and a port)')
  .refine((value) => {
    const port = Number(ADDRESS.exec(value)?.[1]);
    return port >= 1 && port <= 65_535;
  }, 'the port must be between 1 and 65535');

/**
 * How a probe tells which version answered: a response header holding the
 * version (default `x-version`), or a regular expression over the body whose
 * first capture group (or whole match) is the version.
 */
export const ProbeVersionSource = z.union([
  z.strictObject({ header: z.string().regex(/^[A-Za-z0-9-]+$/, 'an HTTP header name') }),
  z.strictObject({
    bodyPattern: z.string().refine((pattern) => {
      try {
        new RegExp(pattern);
        return true;
      } catch {
        return false;
      }
    }, 'a valid regular expression'),
  }),
]);
export type ProbeVersionSource = z.infer<typeof ProbeVersionSource>;

/**
 * A probe sends `count` GET requests through nginx, each on a new connection
 * (so that every request meets the workers of the latest reload), and reads
 * which version answered each. After a drain every answer must come from
 * deployment.previousVersion; during a split both versions may answer, any
 * other answer (or none) is a mismatch.
 */
export const NginxProbeConfig = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  host: z.string().min(1).optional(),
  count: z.int().min(1).max(500).default(20),
  timeoutMs: z.int().min(100).max(60_000).default(2_000),
  version: ProbeVersionSource.default({ header: 'x-version' }),
});
export type NginxProbeConfig = z.infer<typeof NginxProbeConfig>;

const serviceCommon = {
  upstream: ServiceName.optional(),
  probe: NginxProbeConfig.optional(),
};

export const CanaryServiceConfig = z.strictObject({
  pattern: z.literal('canary'),
  baseline: UpstreamAddress,
  canary: UpstreamAddress,
  ...serviceCommon,
});
export type CanaryServiceConfig = z.infer<typeof CanaryServiceConfig>;

export const BlueGreenServiceConfig = z.strictObject({
  pattern: z.literal('blue-green'),
  blue: UpstreamAddress,
  green: UpstreamAddress,
  ...serviceCommon,
});
export type BlueGreenServiceConfig = z.infer<typeof BlueGreenServiceConfig>;

export const NginxServiceConfig = z
  .discriminatedUnion('pattern', [CanaryServiceConfig, BlueGreenServiceConfig])
  .refine(
    (service) =>
      service.pattern === 'canary' ? service.baseline !== service.canary : service.blue !== service.green,
    'the two sides of a service need different addresses',
  );
export type NginxServiceConfig = z.infer<typeof NginxServiceConfig>;

export const NginxTargetConfig = z.strictObject({
  type: z.literal('nginx'),
  nginxBinary: z.string().min(1).optional(),
  prefix: z.string().min(1).optional(),
  confFile: z.string().min(1),
  pidFile: z.string().min(1),
  upstreamsDir: z.string().min(1),
  stateDir: z.string().min(1),
  pauseScale: z.number().min(0).default(1),
  reloadTimeoutSeconds: z.number().positive().max(300).default(10),
  services: z
    .record(ServiceName, NginxServiceConfig)
    .refine((services) => Object.keys(services).length > 0, 'name at least one service'),
});
export type NginxTargetConfig = z.infer<typeof NginxTargetConfig>;
/** What a caller writes (defaults not yet filled in). */
export type NginxTargetConfigInput = z.input<typeof NginxTargetConfig>;

export class NginxConfigError extends Error {
  override readonly name = 'NginxConfigError';
}

/** Parses a targets-file entry; every problem is reported at once, each with its field. */
export function parseNginxTargetConfig(raw: unknown): NginxTargetConfig {
  const parsed = NginxTargetConfig.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => {
    // A bad record key comes as "Invalid key in record" with the key schema's own words nested inside.
    const message =
      issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
    return `  ${issue.path.join('.') || '(root)'}: ${message}`;
  });
  throw new NginxConfigError(`nginx target config: ${issues.length} problem(s)\n${issues.join('\n')}`);
}

/** The name of the service's `upstream` block. */
export function upstreamNameOf(service: string, config: NginxServiceConfig): string {
  return config.upstream ?? service;
}
