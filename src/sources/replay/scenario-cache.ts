import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Scenario } from '../../simulate/scenario';
import { loadScenarioFile } from '../../simulate/scenario-files';

/**
 * Scenario files parsed once per process and reread when they change on disk
 * (same size and modification time: the same file), so a watch of a thousand
 * intervals does not parse the file a thousand times.
 */
export class ScenarioCache {
  private readonly entries = new Map<string, { stamp: string; scenario: Scenario }>();

  constructor(private readonly baseDir: string = process.cwd()) {}

  resolve(file: string): string {
    return path.resolve(this.baseDir, file);
  }

  /** Throws ScenarioFileError (or a file-system error) when the file cannot be used. */
  async load(file: string): Promise<Scenario> {
    const absolute = this.resolve(file);
    const info = await stat(absolute);
    const stamp = `${info.size}:${info.mtimeMs}`;
    const cached = this.entries.get(absolute);
    if (cached?.stamp === stamp) return cached.scenario;
    const { scenario } = await loadScenarioFile(absolute);
    this.entries.set(absolute, { stamp, scenario });
    return scenario;
  }
}
