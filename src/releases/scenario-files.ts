import { readFile, stat } from 'node:fs/promises';
import { MAX_SCENARIO_BYTES, ScenarioFileError, jsonProblem } from '../simulate/scenario-files';
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

function formatPath(segments: readonly PropertyKey[]): string {
  return segments
    .map((s) => (typeof s === 'number' ? `[${s}]` : `.${String(s)}`))
    .join('')
    .replace(/^\./, '');
}

export function parseReleaseScenarioText(text: string, file: string): ReleaseScenario {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const problem = jsonProblem(err);
    throw new ScenarioFileError(file, [problem], problem);
  }
  const result = ReleaseScenario.safeParse(json);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const where = formatPath(issue.path);
    return where === '' ? issue.message : `${where}: ${issue.message}`;
  });
  // Only the schema's own top-level field names: keys deeper down (services, series) come from the file.
  const fields = [...new Set(result.error.issues.map((issue) => issue.path[0]))].filter(
    (field): field is string => typeof field === 'string' && field in ReleaseScenario.shape,
  );
  const summary =
    `not a ${RELEASE_SCENARIO_FORMAT} scenario (${problems.length} problem${problems.length === 1 ? '' : 's'}` +
    `${fields.length > 0 ? ` in ${fields.join(', ')}` : ''})`;
  throw new ScenarioFileError(file, problems, summary);
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
