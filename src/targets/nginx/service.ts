import path from 'node:path';
import { PermanentStepError } from '../errors';
import {
  type NginxServiceConfig,
  type NginxTargetConfig,
  type NginxTargetConfigInput,
  parseNginxTargetConfig,
  upstreamNameOf,
} from './config';
import { type NginxInstance, reloadNginx, resolveNginxBinary, testNginxConfig } from './control';
import { readTextOrNull, restoreText, writeAtomically } from './files';
import { describeProbe, type ProbeResult, probeVersions } from './probe';
import {
  type Colour,
  checkWeight,
  describeState,
  type InterpretedUpstream,
  interpretUpstream,
  renderUpstream,
  type UpstreamState,
} from './upstream';

/**
 * One service's upstream in one nginx: where its file is, how to change it
 * safely (write, `nginx -t`, put the old file back if the test fails, reload),
 * and how to read it back. The target's steps and the deploy-time helpers
 * (`setCanaryWeight`, `setLiveColour`) go through the same path.
 */

/** nginx refused the configuration the change would produce; the previous file is back in place. */
export class NginxConfigRejectedError extends PermanentStepError {}

export interface ResolvedService {
  name: string;
  upstream: string;
  config: NginxServiceConfig;
  /** `<upstreamsDir>/<service>.conf` */
  file: string;
}

export function toConfig(config: NginxTargetConfig | NginxTargetConfigInput): NginxTargetConfig {
  // Parsing an already parsed config changes nothing; a config built in code gets the targets file's checks.
  return parseNginxTargetConfig(config);
}

export function resolveService(config: NginxTargetConfig, service: string): ResolvedService {
  const entry = Object.hasOwn(config.services, service) ? config.services[service] : undefined;
  if (entry === undefined) {
    throw new PermanentStepError(
      `the nginx target has no service "${service}" (configured: ${Object.keys(config.services).join(', ')})`,
    );
  }
  return {
    name: service,
    upstream: upstreamNameOf(service, entry),
    config: entry,
    file: path.join(path.resolve(config.upstreamsDir), `${service}.conf`),
  };
}

export function nginxInstance(config: NginxTargetConfig): NginxInstance {
  let binary: string;
  try {
    binary = resolveNginxBinary(config.nginxBinary);
  } catch (error) {
    throw new PermanentStepError((error as Error).message);
  }
  return { binary, prefix: config.prefix, confFile: config.confFile, pidFile: config.pidFile };
}

export interface ReadBack {
  text: string | null;
  interpreted: InterpretedUpstream;
}

/** The service's upstream file as it is on disk, and what it means. */
export async function readUpstream(service: ResolvedService): Promise<ReadBack> {
  const text = await readTextOrNull(service.file);
  if (text === null) return { text, interpreted: { problems: [`${service.file} does not exist`] } };
  return { text, interpreted: interpretUpstream(text, service.upstream, service.config) };
}

/**
 * Puts `text` (null: no file) in place, tests the full configuration, and
 * reloads. When nginx rejects it, the file as it was goes back and nothing is
 * reloaded, so the configuration that is live stays live.
 */
export async function installUpstreamText(
  config: NginxTargetConfig,
  service: ResolvedService,
  text: string | null,
  what: string,
  signal?: AbortSignal,
): Promise<void> {
  const instance = nginxInstance(config);
  const previous = await readTextOrNull(service.file);
  if (text === null) await restoreText(service.file, null);
  else if (text !== previous) await writeAtomically(service.file, text);

  let test: Awaited<ReturnType<typeof testNginxConfig>>;
  try {
    test = await testNginxConfig(instance, { signal });
  } catch (error) {
    // Cancelled mid-test: an untested file must not wait on disk for the next reload, whoever makes it.
    await restoreText(service.file, previous);
    throw error;
  }
  if (!test.ok) {
    await restoreText(service.file, previous);
    throw new NginxConfigRejectedError(
      `nginx -t rejected ${what} for service ${service.name}: ${test.message} ` +
        `(${path.basename(service.file)} put back as it was; nginx not reloaded)`,
    );
  }
  // Reloaded even when the text did not change: an attempt that crashed between write and reload left it unloaded.
  await reloadNginx(instance, { timeoutMs: config.reloadTimeoutSeconds * 1000, signal });
}

export function installState(
  config: NginxTargetConfig,
  service: ResolvedService,
  state: UpstreamState,
  signal?: AbortSignal,
): Promise<void> {
  if (state.pattern !== service.config.pattern) {
    throw new PermanentStepError(
      `service ${service.name} is configured as ${service.config.pattern}, not ${state.pattern}`,
    );
  }
  return installUpstreamText(
    config,
    service,
    renderUpstream(service.upstream, service.config, state),
    describeState(state),
    signal,
  );
}

// ---- deploy time -----------------------------------------------------------------

/**
 * Deploy time (pipelines, the demo): send `weight` percent of the service's
 * traffic to the canary and the rest to the baseline, then reload nginx.
 * Returns what nginx now serves, in words.
 */
export async function setCanaryWeight(
  config: NginxTargetConfig | NginxTargetConfigInput,
  service: string,
  weight: number,
  options: { signal?: AbortSignal } = {},
): Promise<string> {
  return setState(config, service, { pattern: 'canary', canaryWeight: checkWeight(weight) }, options);
}

/** Deploy time: make `colour` the live one for a blue-green service, then reload nginx. */
export async function setLiveColour(
  config: NginxTargetConfig | NginxTargetConfigInput,
  service: string,
  colour: Colour,
  options: { signal?: AbortSignal } = {},
): Promise<string> {
  return setState(config, service, { pattern: 'blue-green', live: colour }, options);
}

async function setState(
  config: NginxTargetConfig | NginxTargetConfigInput,
  service: string,
  state: UpstreamState,
  options: { signal?: AbortSignal },
): Promise<string> {
  const parsed = toConfig(config);
  await installState(parsed, resolveService(parsed, service), state, options.signal);
  return `${describeState(state)} (nginx reloaded)`;
}

/** The service's state as its upstream file says (undefined state, with problems, when it cannot tell). */
export async function readServiceState(
  config: NginxTargetConfig | NginxTargetConfigInput,
  service: string,
): Promise<InterpretedUpstream> {
  const parsed = toConfig(config);
  return (await readUpstream(resolveService(parsed, service))).interpreted;
}

/** Probes the service through nginx with its configured probe; throws when it has none. */
export async function probeService(
  config: NginxTargetConfig | NginxTargetConfigInput,
  service: string,
  options: { signal?: AbortSignal } = {},
): Promise<ProbeResult & { description: string }> {
  const parsed = toConfig(config);
  const probe = resolveService(parsed, service).config.probe;
  if (probe === undefined) throw new Error(`service ${service} has no probe configured`);
  const result = await probeVersions(probe, options.signal);
  return { ...result, description: describeProbe(result) };
}
