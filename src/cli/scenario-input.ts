import { expandScenarioPaths, ScenarioFileError } from '../simulate/scenario-files';
import { UserFacingError } from './errors';

/** Invalid scenario files: exit 1, every problem of every file on stderr (`simulate`, both kinds). */
export const EXIT_INVALID_SCENARIO = 1;

/**
 * The scenario files a command runs on: files and directories expanded, every
 * file loaded and checked, and every problem of every file reported at once
 * (`<file>: <problem>`) before anything runs. Deployment and release
 * scenarios alike; `noun` names the kind in the messages.
 */
export async function loadScenarioInputs<T>(
  paths: readonly string[],
  options: {
    noun: string;
    load: (file: string) => Promise<T>;
    /** Problems of a loaded scenario under this run (a series the policy reads and the file lacks), each prefixed with the file. */
    check: (scenario: T, file: string) => string[];
  },
): Promise<T[]> {
  let files: string[];
  try {
    files = await expandScenarioPaths(paths);
  } catch (err) {
    if (err instanceof ScenarioFileError) throw new UserFacingError(err.message, EXIT_INVALID_SCENARIO);
    throw err;
  }
  if (files.length === 0)
    throw new UserFacingError(`no ${options.noun} files (*.json) in ${paths.join(', ')}`);
  const problems: string[] = [];
  const scenarios: T[] = [];
  for (const file of files) {
    try {
      const scenario = await options.load(file);
      const found = options.check(scenario, file);
      if (found.length > 0) {
        problems.push(...found);
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
      `invalid ${options.noun} input, nothing simulated:\n${problems.map((p) => `  ${p}`).join('\n')}`,
      EXIT_INVALID_SCENARIO,
    );
  }
  return scenarios;
}
