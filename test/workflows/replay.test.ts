import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleWorkflows, quietRuntime } from '../harness/temporal';
import { HISTORIES_DIR } from './support/histories';

/**
 * Replays committed histories of every guardian path against today's workflow
 * code: a change that would break guardians already running (a reordered
 * activity, a new timer without a patch) fails here, not in production.
 */
// After a release, subdirectories keep histories recorded by older workflow code (e.g. before-<change>/):
// guardians started then may still be running, so today's code must replay them through its patches
// (docs/operations.md, "Changing a workflow after release").
const files = readdirSync(HISTORIES_DIR, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.binpb'))
  .sort();
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  quietRuntime();
  bundle = await bundleWorkflows();
});

test('histories of the guardian paths are committed', () => {
  expect(files.length).toBeGreaterThanOrEqual(10);
});

test.each(files)('replays %s without nondeterminism', async (file) => {
  const history = temporal.api.history.v1.History.decode(readFileSync(join(HISTORIES_DIR, file)));
  await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, file)).resolves.toBeUndefined();
});
