import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateScenario, type ScenarioKind } from '../../simulate/generate';
import { expandScenarioPaths, loadScenarioFile, ScenarioFileError } from '../../simulate/scenario-files';
import { UserFacingError } from '../errors';

export interface GenerateOptions {
  kind: ScenarioKind;
  seed: number;
  count: number;
  out: string;
  rps?: number;
  interval?: number;
  length?: number;
  /** Also write latency histograms (latency_le_<ms>), the p99 computed from them. */
  histogram?: boolean;
}

/** `ripcord scenario generate`: writes the files and prints their paths. */
export async function generate(options: GenerateOptions): Promise<void> {
  await mkdir(options.out, { recursive: true });
  for (let index = 0; index < options.count; index++) {
    const generated = generateScenario({
      kind: options.kind,
      seed: options.seed,
      index,
      ...(options.rps === undefined ? {} : { rps: options.rps }),
      ...(options.interval === undefined ? {} : { intervalSeconds: options.interval }),
      ...(options.length === undefined ? {} : { length: options.length }),
      ...(options.histogram === true ? { histogram: true } : {}),
    });
    const file = path.join(options.out, `${generated.name}.json`);
    await writeFile(file, `${JSON.stringify(generated)}\n`);
    process.stdout.write(`${file}\n`);
  }
}

/** `ripcord scenario validate`: every problem of every file; exit 1 when any is invalid. */
export async function validate(paths: string[]): Promise<void> {
  let files: string[];
  try {
    files = await expandScenarioPaths(paths);
  } catch (err) {
    if (err instanceof ScenarioFileError) throw new UserFacingError(err.message);
    throw err;
  }
  let invalid = 0;
  for (const file of files) {
    try {
      const { scenario: s } = await loadScenarioFile(file);
      process.stdout.write(`ok ${file} (${s.name})\n`);
    } catch (err) {
      if (!(err instanceof ScenarioFileError)) throw err;
      invalid += 1;
      process.stderr.write(`invalid ${file}:\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`);
    }
  }
  if (invalid > 0) process.exitCode = 1;
}
