import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Writes a benchmark's markdown table under bench/results and echoes it, with where it went. */
export async function writeResults(root: string, fileName: string, report: string): Promise<void> {
  const out = path.join(root, 'bench', 'results', fileName);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, report);
  process.stdout.write(`${report}\nwritten to ${path.relative(process.cwd(), out)}\n`);
}

/** A share as a percentage with one decimal, or – when there is nothing to share. */
export function percent(part: number, whole: number): string {
  return whole === 0 ? '–' : `${((100 * part) / whole).toFixed(1)}%`;
}

/** Runs a benchmark's main, printing a failure's stack and exiting non-zero instead of an unhandled rejection. */
export function runBenchmark(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
