import { decisionConfigFromPolicy } from '../../policy/decision-config';
import { judgeRelease, resultLine } from '../../releases/judge';
import type { DecisionConfig } from '../../decision';
import { memberScenario, releaseMembers, type ReleaseScenario } from '../../releases/scenario';
import { loadReleaseScenarioFile } from '../../releases/scenario-files';
import { formatReleaseJudgement } from '../../releases/timeline';
import { expandScenarioPaths, ScenarioFileError } from '../../simulate/scenario-files';
import { missingSeries } from '../../simulate/simulate';
import { UserFacingError } from '../errors';
import { loadPolicyForCommand } from '../policy-input';

export interface SimulateReleaseOptions {
  policy: string;
  releaseScenario: string[];
  release?: string;
  json?: boolean;
}

/** A usage mistake: exit 2, as commander's own. */
const EXIT_USAGE = 2;
/** Invalid scenario files: exit 1, every problem of every file on stderr (as `simulate --scenario`). */
const EXIT_INVALID_SCENARIO = 1;

async function loadReleaseScenarios(paths: string[], config: DecisionConfig): Promise<ReleaseScenario[]> {
  let files: string[];
  try {
    files = await expandScenarioPaths(paths);
  } catch (err) {
    if (err instanceof ScenarioFileError) throw new UserFacingError(err.message, EXIT_INVALID_SCENARIO);
    throw err;
  }
  if (files.length === 0)
    throw new UserFacingError(`no release scenario files (*.json) in ${paths.join(', ')}`);
  const problems: string[] = [];
  const scenarios: ReleaseScenario[] = [];
  for (const file of files) {
    try {
      const { scenario } = await loadReleaseScenarioFile(file);
      const missing = releaseMembers(scenario).flatMap((service) =>
        missingSeries(config, memberScenario(scenario, service)).map(
          (name) =>
            `${file}: members.${service}.series.${name}: the policy reads this series but the member has none (it has ${Object.keys(scenario.members[service]?.series ?? {}).join(', ')})`,
        ),
      );
      if (missing.length > 0) {
        problems.push(...missing);
        continue;
      }
      scenarios.push(scenario);
    } catch (err) {
      if (err instanceof ScenarioFileError) {
        problems.push(...err.problems.map((p) => `${file}: ${p}`));
        continue;
      }
      const code = (err as NodeJS.ErrnoException).code;
      problems.push(`${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
  }
  if (problems.length > 0) {
    throw new UserFacingError(
      `invalid release scenario input, nothing simulated:\n${problems.map((p) => `  ${p}`).join('\n')}`,
      EXIT_INVALID_SCENARIO,
    );
  }
  return scenarios;
}

/**
 * `ripcord simulate --release-scenario`: every release judged across its
 * members (src/releases/judge.ts), one JSON line or one human report each.
 * The release comes from the scenario itself: its members, their dependsOn,
 * mode independent, every member under --policy.
 */
export async function simulateRelease(options: SimulateReleaseOptions): Promise<void> {
  if (options.release !== undefined) {
    throw new UserFacingError(
      '--release is not supported yet: release.yaml has no schema until releases run as workflows (issue #20); ' +
        'without it, the release comes from the scenario (its members, dependsOn, mode independent)',
      EXIT_USAGE,
    );
  }
  const loaded = await loadPolicyForCommand(options.policy);
  const config = decisionConfigFromPolicy(loaded.policy);
  const scenarios = await loadReleaseScenarios(options.releaseScenario, config);
  for (const scenario of scenarios) {
    const judgement = judgeRelease(scenario, { config });
    process.stdout.write(
      options.json
        ? `${JSON.stringify(resultLine(judgement))}\n`
        : `${formatReleaseJudgement(judgement, scenario)}\n`,
    );
  }
}
