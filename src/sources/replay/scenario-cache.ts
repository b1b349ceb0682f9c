import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Scenario } from '../../simulate/scenario';
import { ScenarioFileError } from '../../simulate/scenario-files';
import { loadScenarioFile } from '../../simulate/scenario-files';
import { serviceScenario, type ReleaseScenario } from '../../releases/scenario';
import { loadReleaseScenarioFile } from '../../releases/scenario-files';

/**
 * Scenario files parsed once per process and reread when they change on disk
 * (same size and modification time: the same file), so a watch of a thousand
 * intervals does not parse the file a thousand times.
 */
export class ScenarioCache {
  private readonly entries = new Map<string, { stamp: string; scenario: Scenario }>();
  private readonly releases = new Map<string, { stamp: string; scenario: ReleaseScenario }>();

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

  /**
   * One service of a release scenario, as a deployment scenario (a release
   * replays one file for all its members and the services outside it).
   * Throws ScenarioFileError when the file cannot be used or has no such service.
   */
  async loadService(file: string, service: string): Promise<Scenario> {
    const absolute = this.resolve(file);
    const info = await stat(absolute);
    const stamp = `${info.size}:${info.mtimeMs}`;
    let cached = this.releases.get(absolute);
    if (cached?.stamp !== stamp) {
      cached = { stamp, scenario: (await loadReleaseScenarioFile(absolute)).scenario };
      this.releases.set(absolute, cached);
    }
    if (cached.scenario.members[service] === undefined)
      throw new ScenarioFileError(absolute, [`members: has no service "${service}"`]);
    return serviceScenario(cached.scenario, service);
  }
}
