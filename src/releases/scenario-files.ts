import { parseScenarioJson, readScenarioText } from '../simulate/scenario-files';
import { RELEASE_SCENARIO_FORMAT, ReleaseScenario } from './scenario';

/**
 * Reading release scenario files. Problems come back as the deployment
 * scenarios' ScenarioFileError: every problem, each with the field it is in
 * (`members.ledger.dependsOn[0]: unknown service "taxx" …`).
 */
export interface LoadedReleaseScenario {
  file: string;
  scenario: ReleaseScenario;
}

export function parseReleaseScenarioText(text: string, file: string): ReleaseScenario {
  return parseScenarioJson(text, file, ReleaseScenario, RELEASE_SCENARIO_FORMAT);
}

export async function loadReleaseScenarioFile(file: string): Promise<LoadedReleaseScenario> {
  return { file, scenario: parseReleaseScenarioText(await readScenarioText(file), file) };
}
