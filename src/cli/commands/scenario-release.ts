import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateReleaseScenario } from '../../releases/generate';
import type { ReleaseKind } from '../../releases/scenario';

export interface GenerateReleaseOptions {
  kind: ReleaseKind;
  seed: number;
  count: number;
  out: string;
  interval?: number;
}

/** `ripcord scenario generate --release`: writes the release scenario files and prints their paths. */
export async function generateReleases(options: GenerateReleaseOptions): Promise<void> {
  await mkdir(options.out, { recursive: true });
  for (let index = 0; index < options.count; index++) {
    const generated = generateReleaseScenario({
      kind: options.kind,
      seed: options.seed,
      index,
      ...(options.interval === undefined ? {} : { intervalSeconds: options.interval }),
    });
    const file = path.join(options.out, `${generated.name}.json`);
    await writeFile(file, `${JSON.stringify(generated)}\n`);
    process.stdout.write(`${file}\n`);
  }
}
