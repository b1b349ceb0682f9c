import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export const HISTORIES_DIR = resolve(__dirname, '..', '..', 'fixtures', 'histories');

/**
 * With RIPCORD_RECORD_HISTORIES=1 the path tests save each guardian's history
 * for the replay test, which then catches any nondeterministic change to the
 * workflow code. Re-record deliberately (and review the diff) when the
 * workflow changes on purpose, with a patch for guardians already running.
 */
export async function recordHistory(name: string, handle: WorkflowHandle): Promise<void> {
  if (process.env.RIPCORD_RECORD_HISTORIES !== '1') return;
  mkdirSync(HISTORIES_DIR, { recursive: true });
  // Binary protobuf: exactly what the server sent, independent of JSON mapping quirks.
  const history = temporal.api.history.v1.History.fromObject(await handle.fetchHistory());
  writeFileSync(
    join(HISTORIES_DIR, `${name}.binpb`),
    temporal.api.history.v1.History.encode(history).finish(),
  );
}

/** The guardian's result; its history is recorded under the current test's name when recording is on. */
export async function resultAndRecord<T>(handle: WorkflowHandle & { result(): Promise<T> }): Promise<T> {
  const result = await handle.result();
  const name = (expect.getState().currentTestName ?? 'unnamed')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80);
  await recordHistory(name, handle);
  return result;
}
