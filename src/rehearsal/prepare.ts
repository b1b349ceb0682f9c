import path from 'node:path';
import type { LoadedPolicy, Policy } from '../policy';
import { type Scenario, scenarioLength } from '../simulate/scenario';
import { loadScenarioFile, ScenarioFileError } from '../simulate/scenario-files';
import { histogramOf, isBucketOf } from '../sources/histogram';
import type { DeploymentInfo, GuardianInput } from '../model/guardian';

/**
 * A rehearsal's guardian input: a scenario file stands in for every source of a
 * policy. Used by `guard --replay` in a pipeline and by `rehearse` on the local
 * stack, so it depends on neither the CLI nor the dev stack.
 */

/**
 * The tabletop exercise for a policy: the real guardian on a real Temporal
 * server, with a scenario file as its only health source and the recording
 * dry-run target instead of production, time compressed by `speed`.
 */

/** The inputs do not fit together (an unreadable scenario, another interval): a usage problem. */
export class RehearsalSetupError extends Error {}

export interface PreparedRehearsal {
  loaded: LoadedPolicy;
  scenario: Scenario;
  /** Absolute, so that the worker finds it whatever its working directory. */
  scenarioFile: string;
  speed: number;
  /** The scenario's length in policy time: the guardian watches exactly as long as the data lasts. */
  watchSeconds: number;
}

/** Why a scenario cannot stand in for a policy's sources; empty when it can. */
export function rehearsalProblems(policy: Policy, scenario: Scenario): string[] {
  const problems: string[] = [];
  if (policy.evaluation.intervalSeconds !== scenario.intervalSeconds) {
    problems.push(
      `the policy evaluates every ${policy.evaluation.intervalSeconds} s (evaluation.intervalSeconds) but the ` +
        `scenario "${scenario.name}" has one value every ${scenario.intervalSeconds} s (intervalSeconds); ` +
        'a rehearsal replays one scenario value per evaluation, so they must be equal',
    );
  }
  // A histogram series is in the scenario as its buckets, `<name>_le_<ms>` (sources/histogram.ts).
  const missing = Object.entries(policy.series).flatMap(([name, series]) => {
    if (histogramOf(series) === undefined) return scenario.series[name] === undefined ? [name] : [];
    const buckets = Object.keys(scenario.series).some((key) => isBucketOf(name, key));
    return buckets ? [] : [`${name}_le_<ms>`];
  });
  if (missing.length > 0) {
    problems.push(
      `the scenario "${scenario.name}" has no series ${missing.map((m) => `"${m}"`).join(', ')} that the policy reads ` +
        `(it has ${Object.keys(scenario.series).join(', ')})`,
    );
  }
  return problems;
}

/** `speed` may depend on the scenario's interval (the CLI's default does). */
export async function prepareRehearsal(
  loaded: LoadedPolicy,
  scenarioFile: string,
  speed: number | ((intervalSeconds: number) => number),
): Promise<PreparedRehearsal> {
  let scenario: Scenario;
  try {
    scenario = (await loadScenarioFile(scenarioFile)).scenario;
  } catch (err) {
    if (err instanceof ScenarioFileError) throw new RehearsalSetupError(`invalid scenario ${err.message}`);
    const code = (err as NodeJS.ErrnoException).code;
    throw new RehearsalSetupError(
      `cannot read scenario ${scenarioFile}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
  const problems = rehearsalProblems(loaded.policy, scenario);
  if (problems.length > 0) throw new RehearsalSetupError(problems.join('\n  '));
  return {
    loaded,
    scenario,
    scenarioFile: path.resolve(scenarioFile),
    speed: typeof speed === 'function' ? speed(scenario.intervalSeconds) : speed,
    watchSeconds: scenarioLength(scenario) * scenario.intervalSeconds,
  };
}

/** The guardian's input: a made-up deployment of the policy's service, the scenario as its only source. */
export function rehearsalInput(prepared: PreparedRehearsal, deploymentId: string, now: Date): GuardianInput {
  const { metadata } = prepared.loaded.policy;
  const deployment: DeploymentInfo = {
    deploymentId,
    service: metadata.service,
    environment: metadata.environment,
    // The scenario's groups are called baseline and canary; the versions say which is which.
    version: 'canary',
    previousVersion: 'baseline',
    deployer: 'ripcord-rehearse',
    deployedAt: now.toISOString(),
  };
  return {
    deployment,
    policy: prepared.loaded.policy,
    policyHash: prepared.loaded.hash,
    watchSeconds: prepared.watchSeconds,
    replay: { scenarioFile: prepared.scenarioFile },
    speed: prepared.speed,
  };
}
