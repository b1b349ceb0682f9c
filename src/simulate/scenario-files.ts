import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { SCENARIO_FORMAT, Scenario } from './scenario';

/** A scenario file that could not be used, with every problem and where it is. */
export class ScenarioFileError extends Error {
  /**
   * What is wrong in words that never repeat the file's content (no values,
   * no keys): what a worker may write into workflow history. `problems` may
   * name the file's own keys and values; they are for the person at the CLI.
   */
  readonly summary: string;

  constructor(
    readonly file: string,
    readonly problems: string[],
    summary?: string,
  ) {
    super(`${file}: ${problems.join('; ')}`);
    this.name = 'ScenarioFileError';
    this.summary = summary ?? problems.join('; ');
  }
}

/** Scenario files are small (a few series, one number per interval); anything larger is not one. */
export const MAX_SCENARIO_BYTES = 32 * 1024 * 1024;

/**
 * Why text is not JSON, without the text: V8's message quotes the start of the
 * input ("Unexpected token 'h', "hostname..." is not valid JSON"), which would
 * carry the first bytes of whatever file was named into errors and history.
 */
export function jsonProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position !== undefined) return `not valid JSON (at character ${position})`;
  if (/end of JSON input/i.test(message)) return 'not valid JSON (the text ends too early)';
  return 'not valid JSON (an unexpected character)';
}

export interface LoadedScenario {
  file: string;
  scenario: Scenario;
}

function formatPath(segments: readonly PropertyKey[]): string {
  return segments
    .map((s) => (typeof s === 'number' ? `[${s}]` : `.${String(s)}`))
    .join('')
    .replace(/^\./, '');
}

/** A zod object schema, as the scenario formats are: its top-level field names name the problems. */
interface ScenarioSchema<T> {
  shape: object;
  safeParse(
    json: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

/**
 * Parses one scenario file's text against its format's schema; every problem
 * comes back in one ScenarioFileError, each with the field it is in. Shared by
 * deployment and release scenarios.
 */
export function parseScenarioJson<T>(
  text: string,
  file: string,
  schema: ScenarioSchema<T>,
  format: string,
  hint = '',
): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const problem = jsonProblem(err);
    throw new ScenarioFileError(file, [problem], problem);
  }
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const where = formatPath(issue.path);
    return where === '' ? issue.message : `${where}: ${issue.message}`;
  });
  // Only the schema's own top-level field names: keys deeper down (series, services) come from the file.
  const fields = [...new Set(result.error.issues.map((issue) => issue.path[0]))].filter(
    (field): field is string => typeof field === 'string' && field in schema.shape,
  );
  const summary =
    `not a ${format} scenario (${problems.length} problem${problems.length === 1 ? '' : 's'}` +
    `${fields.length > 0 ? ` in ${fields.join(', ')}` : ''}${hint})`;
  throw new ScenarioFileError(file, problems, summary);
}

export function parseScenarioText(text: string, file: string): Scenario {
  return parseScenarioJson(text, file, Scenario, SCENARIO_FORMAT, '; `ripcord scenario validate` lists them');
}

/** Expands files and directories (their *.json files, sorted) into a list of scenario files. */
export async function expandScenarioPaths(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    let info;
    try {
      info = await stat(p);
    } catch {
      throw new ScenarioFileError(p, ['no such file or directory']);
    }
    if (info.isDirectory()) {
      const names = (await readdir(p)).filter((n) => n.endsWith('.json')).sort();
      files.push(...names.map((n) => path.join(p, n)));
    } else {
      files.push(p);
    }
  }
  return files;
}

/** A scenario file's text (deployment or release), refused before reading when it cannot be one. */
export async function readScenarioText(file: string): Promise<string> {
  const info = await stat(file);
  // A device (/dev/zero), a FIFO or a huge file would be read forever, or into memory whole.
  if (!info.isFile()) throw new ScenarioFileError(file, ['not a regular file']);
  if (info.size > MAX_SCENARIO_BYTES) {
    throw new ScenarioFileError(file, [`larger than ${MAX_SCENARIO_BYTES} bytes: not a scenario file`]);
  }
  return readFile(file, 'utf8');
}

export async function loadScenarioFile(file: string): Promise<LoadedScenario> {
  return { file, scenario: parseScenarioText(await readScenarioText(file), file) };
}
