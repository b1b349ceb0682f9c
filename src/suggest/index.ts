import { readFile } from 'node:fs/promises';
import { credentials } from '../sources/prometheus/auth';
import type { RequestOptions } from '../sources/prometheus/client';
import { envSecretProvider, SecretError, type SecretProvider } from '../security/secrets';
import type { Policy } from '../policy/schema/policy';
import { checkProposal, type CheckReport } from './check';
import { learnSignal, type SignalProfile } from './learn';
import {
  applyProposal,
  defaultPolicyText,
  validateSuggested,
  type DefaultPolicyContext,
} from './policy-output';
import { queryRange } from './prometheus-range';
import { propose, type Proposal } from './propose';
import { historyQueries } from './queries';
import { rangeStep, stretchSeconds, type Point } from './stats';

export { formatSuggestion, suggestionJson } from './format';
export { SuggestedPolicyInvalidError } from './policy-output';
export { NotEnoughDataError } from './learn';
export { RangeQueryError } from './prometheus-range';

/**
 * `ripcord policy suggest`: read the service's history from Prometheus, learn
 * each signal's level and noise, propose tolerances, minimum traffic and alpha,
 * write them into a policy that validates, and check that policy with the
 * decision core on scenarios made from the same history.
 */

export interface SuggestOptions {
  prometheusUrl: string;
  service: string;
  /** Default: the base policy's, else "production". */
  environment?: string;
  windowSeconds: number;
  basePolicyFile?: string;
  /** Name of the environment variable that holds a bearer token for Prometheus. */
  bearerTokenEnv?: string;
  /** Read only this version's series (default: every version of the service). */
  version?: string;
  /** Default: the base policy's evaluation interval, else 30 s. */
  intervalSeconds?: number;
  deploysPerWeek: number;
  scenariosPerCase: number;
  seed: number;
  timeoutSeconds?: number;
  /** Milliseconds since the epoch: the end of the window (a test pins it). */
  now?: number;
  secrets?: SecretProvider;
  signal?: AbortSignal;
}

export interface SuggestResult {
  service: string;
  windowSeconds: number;
  stepSeconds: number;
  queries: Record<string, string>;
  samples: Record<string, number>;
  profiles: SignalProfile[];
  proposal: Proposal;
  canaryShare: number;
  watchSeconds: number;
  check: CheckReport;
  policyText: string;
  policyHash: string;
}

const DEFAULT_INTERVAL_SECONDS = 30;
const DEFAULT_WATCH_SECONDS = 1800;

/**
 * The canary's share while it is judged: a canary's weights averaged over its
 * holds (5% for 5 minutes then 25% for 10 is mostly 25%), else half
 * (blue-green, flags, rolling).
 */
function canaryShareOf(policy: Policy): number {
  if (policy.deployment.pattern !== 'canary') return 0.5;
  const held = policy.deployment.steps.filter((s) => s.holdSeconds > 0 && s.weight < 100);
  const seconds = held.reduce((total, s) => total + s.holdSeconds, 0);
  if (seconds === 0) return (policy.deployment.steps[0]?.weight ?? 50) / 100;
  return held.reduce((total, s) => total + s.weight * s.holdSeconds, 0) / seconds / 100;
}

function watchSecondsOf(policy: Policy): number {
  if (policy.deployment.pattern !== 'canary') return DEFAULT_WATCH_SECONDS;
  const holds = policy.deployment.steps.reduce((total, step) => total + step.holdSeconds, 0);
  return holds > 0 ? holds : DEFAULT_WATCH_SECONDS;
}

/** A proposal that changes nothing: the starting point of a default policy, before anything is learned. */
function neutralProposal(): Proposal {
  const none = { value: 0, why: '' };
  return {
    signals: [
      { signal: 'error-rate', tolerance: { relative: 0.2, absolute: 0 }, why: [] },
      { signal: 'latency-p99', tolerance: { relative: 0.2, absolute: 0 }, why: [] },
    ],
    alpha: { ...none, value: 0.01 },
    minRequestsPerGroup: { ...none, value: 100 },
  };
}

function requestOptions(opts: SuggestOptions, policy: Policy, signal: AbortSignal): RequestOptions {
  const provider = opts.secrets ?? envSecretProvider();
  const fromPolicy = Object.values(policy.sources).find((s) => s.type === 'prometheus');
  const auth = opts.bearerTokenEnv
    ? { scheme: 'bearer' as const, secret: `\${secret:${opts.bearerTokenEnv}}` }
    : fromPolicy?.type === 'prometheus'
      ? fromPolicy.auth
      : undefined;
  try {
    const { headers, secrets } = credentials(auth, provider);
    return {
      baseUrl: opts.prometheusUrl,
      headers,
      secrets,
      timeoutSeconds: opts.timeoutSeconds ?? 30,
      signal,
    };
  } catch (error) {
    if (error instanceof SecretError) throw new SecretError(`Prometheus credentials: ${error.message}`);
    throw error;
  }
}

export async function suggestPolicy(opts: SuggestOptions): Promise<SuggestResult> {
  const baseText =
    opts.basePolicyFile === undefined ? undefined : await readFile(opts.basePolicyFile, 'utf8');
  const base = baseText === undefined ? undefined : validateSuggested(baseText, opts.basePolicyFile!).policy;
  const environment = opts.environment ?? base?.metadata.environment ?? 'production';
  const intervalSeconds =
    opts.intervalSeconds ?? base?.evaluation.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS;
  const defaults: DefaultPolicyContext = {
    service: opts.service,
    environment,
    prometheusUrl: opts.prometheusUrl,
    ...(opts.bearerTokenEnv ? { bearerTokenEnv: opts.bearerTokenEnv } : {}),
    intervalSeconds,
  };
  const source = `${formatWindow(opts.windowSeconds)} of ${opts.service} in Prometheus`;
  const provisional =
    base ?? validateSuggested(defaultPolicyText(defaults, neutralProposal(), source), 'default').policy;

  const queries = historyQueries(provisional, {
    service: opts.service,
    environment,
    intervalSeconds,
    ...(opts.version ? { version: opts.version } : {}),
  });
  const end = (opts.now ?? Date.now()) / 1000;
  const step = rangeStep(opts.windowSeconds, intervalSeconds);
  const request = requestOptions(opts, provisional, opts.signal ?? new AbortController().signal);
  const samples: Record<string, Point[]> = {};
  for (const [name, query] of Object.entries(queries)) {
    samples[name] = await queryRange(request, query, { start: end - opts.windowSeconds, end, step });
  }

  const learnOpts = { intervalSeconds, stretchSeconds: stretchSeconds(opts.windowSeconds, step) };
  const profiles = provisional.signals.map((signal) => learnSignal(signal, samples, learnOpts));
  const canaryShare = canaryShareOf(provisional);
  const watchSeconds = watchSecondsOf(provisional);
  const proposal = propose(provisional.signals, profiles, {
    deploysPerWeek: opts.deploysPerWeek,
    canaryShare,
    watchSeconds,
  });

  const text =
    baseText === undefined
      ? defaultPolicyText(defaults, proposal, source)
      : applyProposal(baseText, proposal, source, opts.intervalSeconds);
  const loaded = validateSuggested(text, opts.basePolicyFile ?? 'suggested policy');
  const check = checkProposal({
    policy: loaded.policy,
    profiles,
    proposal,
    canaryShare,
    watchSeconds,
    scenariosPerCase: opts.scenariosPerCase,
    seed: opts.seed,
  });
  return {
    service: opts.service,
    windowSeconds: opts.windowSeconds,
    stepSeconds: step,
    queries,
    samples: Object.fromEntries(Object.entries(samples).map(([name, points]) => [name, points.length])),
    profiles,
    proposal,
    canaryShare,
    watchSeconds,
    check,
    policyText: text,
    policyHash: loaded.hash,
  };
}

export function formatWindow(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} day${seconds === 86_400 ? '' : 's'}`;
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
