import path from 'node:path';
import { compensateStep, executeStep } from '../../../src/activities/steps';
import { PERMANENT_STEP_ERROR, type StepInput, VERIFICATION_FAILED } from '../../../src/model/plan';
import { RecordingTarget, TargetRegistry, dryRunTargetRegistry, type StepFault } from '../../../src/targets';
import { examplePlan } from '../targets/helpers';
import { failureOf, quietActivityEnv, runActivity, tempDir } from './helpers';

async function setup(example: string, faults: StepFault[] = []) {
  const { plan, deployment } = await examplePlan(example, { elapsedSeconds: 3000 });
  const recording = new RecordingTarget({
    journalFile: path.join(tempDir(), 'j.jsonl'),
    pauseScale: 0,
    faults,
  });
  const registry = dryRunTargetRegistry(recording);
  const input = (index: number): StepInput => ({
    deployment,
    planHash: plan.planHash,
    step: plan.steps[index]!,
  });
  return { plan, recording, registry, input };
}

function activityEnv() {
  const env = quietActivityEnv();
  const beats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => beats.push(details));
  return { env, beats };
}

describe('executeStep', () => {
  test('applies, reads back, heartbeats; the retry after a crash applies nothing', async () => {
    const { registry, input } = await setup('with-migration.yaml');
    const { env, beats } = activityEnv();
    const run = executeStep(registry);
    expect(await env.run(run, input(0))).toEqual({ applied: true, verified: 'canary weight 0%' });
    expect(beats).toContainEqual({ step: 0, stage: 3, weight: 0 });
    expect(await env.run(run, input(0))).toEqual({ applied: false, verified: 'canary weight 0%' });
  });

  test('a read-back that differs is a retryable VERIFICATION_FAILED', async () => {
    const { registry, input } = await setup('canary.yaml', [{ step: 0, phase: 'verify', times: 1 }]);
    const failure = await failureOf(() => quietActivityEnv().run(executeStep(registry), input(0)));
    expect(failure.type).toBe(VERIFICATION_FAILED);
    expect(failure.nonRetryable).toBe(false);
  });

  test.each<[string, StepFault[], (i: StepInput) => StepInput, string]>([
    ['a permanent target failure', [{ step: 1, permanent: true }], (i) => i, 'injected permanent failure'],
    ['an irreversible migration', [], (i) => i, 'is irreversible'],
    [
      'a key that is not the plan’s',
      [],
      (i) => ({ ...i, step: { ...i.step, idempotencyKey: 'f'.repeat(64) } }),
      'idempotency key does not belong to plan',
    ],
  ])('%s is a non-retryable PERMANENT_STEP_ERROR', async (label, faults, edit, words) => {
    const { registry, input } = await setup('with-migration.yaml', faults);
    const index = label === 'an irreversible migration' ? 3 : 1;
    const failure = await failureOf(() => quietActivityEnv().run(executeStep(registry), edit(input(index))));
    expect(failure.type).toBe(PERMANENT_STEP_ERROR);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(words);
  });

  test('without a target for the action the step fails permanently', async () => {
    const { input } = await setup('canary.yaml');
    const failure = await failureOf(() =>
      quietActivityEnv().run(executeStep(new TargetRegistry({})), input(0)),
    );
    expect(failure.type).toBe(PERMANENT_STEP_ERROR);
    expect(failure.message).toContain('no rollback target handles "shift-traffic" steps');
  });

  test('a transient failure is retried as it is (neither permanent nor a verification failure)', async () => {
    const { registry, input } = await setup('canary.yaml', [{ step: 1, times: 1 }]);
    await expect(quietActivityEnv().run(executeStep(registry), input(1))).rejects.toThrow(
      'injected failure 1 of 1',
    );
    expect((await runActivity(executeStep(registry), [input(1)])).applied).toBe(true);
  });
});

describe('compensateStep', () => {
  test('restores what the step changed, and a second call changes nothing', async () => {
    const { registry, recording, input, plan } = await setup('with-migration.yaml');
    const env = quietActivityEnv();
    await env.run(executeStep(registry), input(1));
    expect(await env.run(compensateStep(registry), input(1))).toEqual({
      compensated: true,
      detail: `restored running artifact sha256:${'a'.repeat(64)}`,
    });
    expect((await runActivity(compensateStep(registry), [input(1)], env)).detail).toMatch(/^already undone/);
    expect((await recording.state(input(1).deployment)).runningDigest).toBe(`sha256:${'a'.repeat(64)}`);
    expect(plan.steps[1]?.action.type).toBe('revert-artifact');
  });
});
