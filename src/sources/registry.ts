import type { Source } from '../policy';
import type { HealthSource } from './types';

type SourceType = Source['type'];
type SourcesByType = { [T in SourceType]?: HealthSource<Extract<Source, { type: T }>> };

/**
 * The health sources this worker can read, by type. Closed: a source type
 * without an implementation here is reported as an `error` reading for each
 * series it should have served, never answered by some default.
 */
export class SourceRegistry {
  constructor(private readonly sources: SourcesByType) {}

  resolve(type: string): HealthSource | undefined {
    if (!Object.prototype.hasOwnProperty.call(this.sources, type)) return undefined;
    return this.sources[type as SourceType] as HealthSource | undefined;
  }

  types(): string[] {
    return Object.keys(this.sources).filter((type) => this.sources[type as SourceType] !== undefined);
  }
}
