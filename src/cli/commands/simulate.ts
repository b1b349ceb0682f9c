import { writeFile } from 'node:fs/promises';
import type { DecisionConfig } from '../../decision';
import { decisionConfigFromPolicy } from '../../policy/decision-config';
import { renderPlot, type PlotItem } from '../../simulate/plot';
import type { Scenario } from '../../simulate/scenario';
import { loadScenarioFile } from '../../simulate/scenario-files';
import { missingSeries, simulateScenario } from '../../simulate/simulate';
import { formatTimeline } from '../../simulate/timeline';
import { loadPolicyForCommand } from '../policy-input';
import { loadScenarioInputs } from '../scenario-input';

export interface SimulateOptions {
  policy: string;
  scenario: string[];
  json?: boolean;
  plot?: string;
}

async function loadScenarios(paths: string[], config: DecisionConfig): Promise<Scenario[]> {
  return loadScenarioInputs(paths, {
    noun: 'scenario',
    load: async (file) => (await loadScenarioFile(file)).scenario,
    check: (scenario, file) =>
      missingSeries(config, scenario).map(
        (name) =>
          `${file}: series.${name}: the policy reads this series but the scenario has none (it has ${Object.keys(scenario.series).join(', ')})`,
      ),
  });
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
