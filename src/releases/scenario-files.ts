import { readFile, stat } from 'node:fs/promises';
import { MAX_SCENARIO_BYTES, ScenarioFileError, parseScenarioJson } from '../simulate/scenario-files';
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
  const info = await stat(file);
  if (!info.isFile()) throw new ScenarioFileError(file, ['not a regular file']);
  if (info.size > MAX_SCENARIO_BYTES) {
    throw new ScenarioFileError(file, [`larger than ${MAX_SCENARIO_BYTES} bytes: not a scenario file`]);
  }
  const text = await readFile(file, 'utf8');
  return { file, scenario: parseReleaseScenarioText(text, file) };
}
