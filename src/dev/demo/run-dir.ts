import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * A directory of its own for this run, named by the time: `demo-20260101100000`,
 * or `demo-20260101100000-2` when another demo sharing the state directory
 * started in the same second (two runs must never share a fleet or an nginx).
 */
export function claimRunDir(stateDir: string, now: Date): { runId: string; dir: string } {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  mkdirSync(resolve(stateDir), { recursive: true });
  for (let n = 1; ; n++) {
    const runId = n === 1 ? stamp : `${stamp}-${n}`;
    const dir = resolve(stateDir, `demo-${runId}`);
    try {
      mkdirSync(dir);
      return { runId, dir };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}
