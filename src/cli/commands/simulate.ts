import { writeFile } from 'node:fs/promises';
import type { DecisionConfig } from '../../decision';
import { decisionConfigFromPolicy } from '../../policy/decision-config';
import { renderPlot, type PlotItem } from '../../simulate/plot';
import type { Scenario } from '../../simulate/scenario';
import { expandScenarioPaths, loadScenarioFile, ScenarioFileError } from '../../simulate/scenario-files';
import { missingSeries, simulateScenario } from '../../simulate/simulate';
import { formatTimeline } from '../../simulate/timeline';
import { UserFacingError } from '../errors';
import { loadPolicyForCommand } from '../policy-input';

export interface SimulateOptions {
  policy: string;
  scenario: string[];
  json?: boolean;
  plot?: string;
}

/** Invalid scenario files: exit 1, every problem of every file on stderr. */
const EXIT_INVALID_SCENARIO = 1;

async function loadScenarios(paths: string[], config: DecisionConfig): Promise<Scenario[]> {
  const problems: string[] = [];
  const scenarios: Scenario[] = [];
  let files: string[];
  try {
    files = await expandScenarioPaths(paths);
  } catch (err) {
    if (err instanceof ScenarioFileError) throw new UserFacingError(err.message, EXIT_INVALID_SCENARIO);
    throw err;
  }
  if (files.length === 0) throw new UserFacingError(`no scenario files (*.json) in ${paths.join(', ')}`);
  for (const file of files) {
    try {
      const { scenario } = await loadScenarioFile(file);
      const missing = missingSeries(config, scenario);
      if (missing.length > 0) {
        problems.push(
          ...missing.map(
            (name) =>
              `${file}: series.${name}: the policy reads this series but the scenario has none (it has ${Object.keys(scenario.series).join(', ')})`,
          ),
        );
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
      `invalid scenario input, nothing simulated:\n${problems.map((p) => `  ${p}`).join('\n')}`,
      EXIT_INVALID_SCENARIO,
    );
  }
  return scenarios;
}

/** `ripcord simulate`: one timeline (or JSON line) per scenario, and the plot when asked. */
export async function simulate(options: SimulateOptions): Promise<void> {
  const loaded = await loadPolicyForCommand(options.policy);
  const config = decisionConfigFromPolicy(loaded.policy);
  const scenarios = await loadScenarios(options.scenario, config);
  const items: PlotItem[] = [];
  for (const scenario of scenarios) {
    const run = simulateScenario(config, scenario);
    if (options.json) {
      process.stdout.write(`${JSON.stringify(run.result)}\n`);
    } else {
      process.stdout.write(`${formatTimeline(run, scenario, config.intervalSeconds)}\n`);
    }
    if (options.plot !== undefined) items.push({ scenario, run });
  }
  if (options.plot !== undefined) {
    const title = `ripcord simulate — ${options.policy} (${loaded.hash.slice(0, 19)}…)`;
    await writeFile(options.plot, renderPlot(config, items, title));
    if (!options.json) process.stdout.write(`plot written to ${options.plot}\n`);
  }
}
