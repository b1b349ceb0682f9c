import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { parse, stringify } from 'yaml';
import { startGuardian } from '../../src/client/guardians';
import { contentHash, type LoadedPolicy, parsePolicyText, type Policy } from '../../src/policy';
import type { GuardianInput } from '../../src/model/guardian';

/**
 * The guardians the benchmarks start: the example canary policy at a 10 s
 * interval, one service per guardian (so that admission supersedes nobody),
 * a shared scenario file replayed as every guardian's only health source, and
 * dry-run targets in the worker. Starts are spread evenly over a ramp so that
 * evaluations do not all fall due at the same moment.
 */

export const ROOT = path.resolve(__dirname, '..', '..');
export const SHARED_SCENARIOS = path.resolve(ROOT, 'test', 'fixtures', 'scenarios', 'shared');
const EXAMPLE_POLICY = path.join(ROOT, 'policies', 'examples', 'canary.yaml');
export const BENCH_ENVIRONMENT = 'bench';

// The policy document is plain YAML data; the benchmark edits it by path.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PolicyDocument = Record<string, any>;

/**
 * policies/examples/canary.yaml at `intervalSeconds`. Its receivers stay (a
 * policy must name someone for escalations); the benchmark's workers only log
 * notifications, so nobody is paged.
 */
export function benchPolicyDocument(intervalSeconds: number): PolicyDocument {
  const doc = parse(readFileSync(EXAMPLE_POLICY, 'utf8')) as PolicyDocument;
  doc.metadata.environment = BENCH_ENVIRONMENT;
  doc.evaluation.intervalSeconds = intervalSeconds;
  return doc;
}

export function loadBenchPolicy(doc: PolicyDocument): LoadedPolicy {
  return parsePolicyText(stringify(doc), {
    filename: 'benchmark policy (from policies/examples/canary.yaml)',
  });
}

/** The same policy for another service, pinned by its own hash as admission recomputes it. */
export function policyForService(base: Policy, service: string): { policy: Policy; policyHash: string } {
  const policy: Policy = { ...base, metadata: { ...base.metadata, service } };
  return { policy, policyHash: contentHash(policy) };
}

/**
 * A shared scenario rewritten for the benchmark: its values at `intervalSeconds`,
 * starting at `from`, repeated until it has `length` intervals; what it says
 * about its own truth is dropped (the engine never reads it anyway).
 */
export function writeBenchScenario(
  name: string,
  options: { intervalSeconds: number; length: number; from?: number; file: string },
): string {
  const source = JSON.parse(readFileSync(path.join(SHARED_SCENARIOS, `${name}.json`), 'utf8'));
  const from = options.from ?? 0;
  const series: Record<string, { baseline: unknown[]; canary: unknown[] }> = {};
  for (const [key, value] of Object.entries(
    source.series as Record<string, { baseline: unknown[]; canary: unknown[] }>,
  )) {
    const tile = (values: unknown[]) => {
      const part = values.slice(from);
      return Array.from({ length: options.length }, (_, i) => part[i % part.length]);
    };
    series[key] = { baseline: tile(value.baseline), canary: tile(value.canary) };
  }
  const scenario = {
    format: source.format,
    name: `${source.name} (benchmark: ${options.intervalSeconds} s interval, from ${from})`,
    intervalSeconds: options.intervalSeconds,
    series,
  };
  writeFileSync(options.file, JSON.stringify(scenario));
  return options.file;
}

export interface GuardianPlan {
  count: number;
  base: Policy;
  scenarioFile: string;
  watchSeconds: number;
  continueAsNewEvery: number;
  speed?: number;
  /** Prefix of services and deployment ids, unique per run. */
  prefix: string;
}

export function guardianInput(plan: GuardianPlan, i: number, now: Date): GuardianInput {
  const service = `${plan.prefix}-${String(i).padStart(4, '0')}`;
  const { policy, policyHash } = policyForService(plan.base, service);
  return {
    deployment: {
      deploymentId: `${service}-d1`,
      service,
      environment: BENCH_ENVIRONMENT,
      version: '2.0.0',
      previousVersion: '1.9.0',
      deployer: 'ripcord-bench',
      deployedAt: now.toISOString(),
    },
    policy,
    policyHash,
    watchSeconds: plan.watchSeconds,
    replay: { scenarioFile: plan.scenarioFile },
    continueAsNewEvery: plan.continueAsNewEvery,
    ...(plan.speed !== undefined ? { speed: plan.speed } : {}),
  };
}

/**
 * Starts `plan.count` guardians, guardian i at `rampMs * i / count` after the
 * call (all at once when rampMs is 0), at most `parallel` starts in flight.
 * Returns the workflow ids in start order.
 */
export async function startGuardians(
  client: Client,
  taskQueue: string,
  plan: GuardianPlan,
  options: { rampMs: number; parallel?: number; onStarted?: (started: number) => void },
): Promise<string[]> {
  const t0 = Date.now();
  const ids: string[] = new Array<string>(plan.count);
  let next = 0;
  let started = 0;
  const lane = async () => {
    for (;;) {
      const i = next++;
      if (i >= plan.count) return;
      const due = t0 + (options.rampMs * i) / plan.count;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const handle = await startGuardian(client, taskQueue, guardianInput(plan, i, new Date()));
      ids[i] = handle.workflowId;
      started += 1;
      options.onStarted?.(started);
    }
  };
  await Promise.all(Array.from({ length: options.parallel ?? 16 }, lane));
  return ids;
}
