import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Scenario } from './scenario';

/** A scenario file that could not be used, with every problem and where it is. */
export class ScenarioFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.join('; ')}`);
    this.name = 'ScenarioFileError';
  }
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

export function parseScenarioText(text: string, file: string): Scenario {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ScenarioFileError(file, [`not valid JSON (${(err as Error).message})`]);
  }
  const result = Scenario.safeParse(json);
  if (result.success) return result.data;
  throw new ScenarioFileError(
    file,
    result.error.issues.map((issue) => {
      const where = formatPath(issue.path);
      return where === '' ? issue.message : `${where}: ${issue.message}`;
    }),
  );
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

export async function loadScenarioFile(file: string): Promise<LoadedScenario> {
  const text = await readFile(file, 'utf8');
  return { file, scenario: parseScenarioText(text, file) };
}
