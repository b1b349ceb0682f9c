import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { generateScenario, SCENARIO_KINDS, type ScenarioKind } from '../../src/simulate/generate';
import type { Scenario } from '../../src/simulate/scenario';
import { parseScenarioText } from '../../src/simulate/scenario-files';

export interface BenchScenario {
  scenario: Scenario;
  /** Where it came from: 'shared' or the generated kind. */
  source: string;
  kind: string;
  rps: number | null;
}

/** Traffic levels (requests per second per group) every generated kind is run at. */
export const TRAFFIC_LEVELS = [1, 3, 10, 30, 100] as const;

export async function sharedScenarios(dir: string): Promise<BenchScenario[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  const out: BenchScenario[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const scenario = parseScenarioText(await readFile(file, 'utf8'), file);
    out.push({ scenario, source: 'shared', kind: name.replace(/-\d+\.json$/, ''), rps: null });
  }
  return out;
}

/**
 * Every kind at every traffic level, `perCell` scenarios each, from one seed.
 * Low-traffic-healthy keeps its own (very low) traffic.
 */
export function generatedScenarios(seed: number, perCell: number): BenchScenario[] {
  const out: BenchScenario[] = [];
  for (const kind of SCENARIO_KINDS as readonly ScenarioKind[]) {
    TRAFFIC_LEVELS.forEach((rps, level) => {
      for (let i = 0; i < perCell; i++) {
        const index = level * perCell + i;
        const scenario = generateScenario(
          kind === 'low-traffic-healthy' ? { kind, seed, index } : { kind, seed, index, rps },
        );
        out.push({ scenario, source: 'generated', kind, rps: kind === 'low-traffic-healthy' ? null : rps });
      }
    });
  }
  return out;
}
