import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../src/worker';
import { WORKFLOW_TRACING_INTERCEPTORS } from '../../src/worker/tracing';
import { quietRuntime } from '../harness/temporal';
import { HISTORIES_DIR } from './support/histories';

/**
 * Issue 21: turning tracing on must not break guardians already running. The
 * committed histories of every guardian path were recorded by workers that
 * did not trace; a tracing worker (the OpenTelemetry workflow interceptors in
 * its bundle) replays each of them without nondeterminism. The other way
 * round (a traced history replayed without the interceptors) is checked on a
 * real run in test/integration/tracing.test.ts.
 */
const files = readdirSync(HISTORIES_DIR, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.binpb'))
  .sort();
let traced: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  quietRuntime();
  traced = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [WORKFLOW_TRACING_INTERCEPTORS],
    logger: new DefaultLogger('ERROR'),
  });
});

test('the traced bundle holds the interceptors', () => {
  expect(files.length).toBeGreaterThanOrEqual(10);
  expect(traced.code).toContain('InboundWithoutQueries');
});

test.each(files)('a tracing worker replays %s without nondeterminism', async (file) => {
  const history = temporal.api.history.v1.History.decode(readFileSync(join(HISTORIES_DIR, file)));
  await expect(
    Worker.runReplayHistory(
      { workflowBundle: traced, sinks: { exporter: { export: { fn: () => undefined } } } },
      history,
      file,
    ),
  ).resolves.toBeUndefined();
});
