import type { DecisionConfig } from '../../decision';
import { PolicyReadError } from '../../policy';
import { decisionConfigFromPolicy } from '../../policy/decision-config';
import { asRelease } from '../../releases/as-release';
import { judgeRelease, resultLine } from '../../releases/judge';
import { loadReleaseFile, ReleaseFileError, type LoadedRelease } from '../../releases/release-file';
import { memberScenario, releaseMembers, type ReleaseScenario } from '../../releases/scenario';
import { loadReleaseScenarioFile } from '../../releases/scenario-files';
import { formatReleaseJudgement } from '../../releases/timeline';
import { missingSeries } from '../../simulate/simulate';
import { UserFacingError } from '../errors';
import { EXIT } from '../exit-codes';
import { loadPolicyForCommand } from '../policy-input';
import { loadScenarioInputs } from '../scenario-input';

export interface SimulateReleaseOptions {
  policy: string;
  releaseScenario: string[];
  release?: string;
  json?: boolean;
}

/**
 * The release file, every problem listed. An invalid release file is a usage
 * error (exit 2), as an invalid policy is: `policy validate` gives it the
 * same code.
 */
async function loadReleaseForCommand(file: string): Promise<LoadedRelease> {
  try {
    return await loadReleaseFile(file);
  } catch (error) {
    if (error instanceof ReleaseFileError) throw new UserFacingError(error.message, EXIT.usage);
    if (error instanceof PolicyReadError) throw new UserFacingError(error.message, EXIT.usage);
    throw error;
  }
}

/** Each service's own policy where the release file gives it one; the others are judged under --policy. */
function configsOf(release: LoadedRelease): Record<string, DecisionConfig> {
  const configs: Record<string, DecisionConfig> = {};
  for (const member of release.members)
    configs[member.service] = decisionConfigFromPolicy(member.policy.policy);
  for (const outside of release.outside) {
    if (!outside.policyDefaulted) configs[outside.service] = decisionConfigFromPolicy(outside.policy.policy);
  }
  return configs;
}

/**
 * `ripcord simulate --release-scenario`: every release judged across its
 * members (src/releases/judge.ts), one JSON line or one human report each.
 * Without --release the release comes from the scenario itself (its members,
 * their dependsOn, mode independent, every member under --policy). With it,
 * members, outside services, dependsOn and mode come from the release file and
 * each member is judged under its own policy; --policy judges the services
 * the file gives no policy for.
 */
export async function simulateRelease(options: SimulateReleaseOptions): Promise<void> {
  const loaded = await loadPolicyForCommand(options.policy);
  const config = decisionConfigFromPolicy(loaded.policy);
  const release = options.release === undefined ? undefined : await loadReleaseForCommand(options.release);
  const memberConfigs = release === undefined ? {} : configsOf(release);
  const layout =
    release === undefined
      ? undefined
      : { file: options.release as string, members: release.members, outside: release.outside };

  const inputs = await loadScenarioInputs<{ scenario: ReleaseScenario; mismatch: string[] }>(
    options.releaseScenario,
    {
      noun: 'release scenario',
      load: async (file) => {
        const { scenario } = await loadReleaseScenarioFile(file);
        if (layout === undefined) return { scenario, mismatch: [] };
        const judged = asRelease(scenario, layout);
        return judged.ok
          ? { scenario: judged.scenario, mismatch: [] }
          : { scenario, mismatch: judged.problems };
      },
      check: ({ scenario, mismatch }, file) => {
        // A release that does not describe the scenario's release: a problem of this file, naming both.
        if (mismatch.length > 0) return mismatch.map((p) => `${file}: ${p}`);
        return releaseMembers(scenario).flatMap((service) =>
          missingSeries(memberConfigs[service] ?? config, memberScenario(scenario, service)).map(
            (name) =>
              `${file}: members.${service}.series.${name}: the policy reads this series but the member has none (it has ${Object.keys(scenario.members[service]?.series ?? {}).join(', ')})`,
          ),
        );
      },
    },
  );
  const scenarios = inputs.map((input) => input.scenario);
  for (const scenario of scenarios) {
    const judgement = judgeRelease(scenario, {
      config,
      memberConfigs,
      ...(release === undefined ? {} : { mode: release.mode }),
    });
    process.stdout.write(
      options.json
        ? `${JSON.stringify(resultLine(judgement))}\n`
        : `${formatReleaseJudgement(judgement, scenario)}\n`,
    );
  }
}
