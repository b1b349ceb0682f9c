import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  PermanentStepError,
  RecordingTarget,
  StepVerificationError,
  type SimulatedState,
} from '../../../src/targets';
import { examplePlan, tempDir, testContext } from './helpers';

const run = promisify(execFile);
const journalIn = (dir: string) => path.join(dir, 'journal.jsonl');
const INITIAL: SimulatedState = {
  canaryWeight: null,
  activeColour: 'green',
  runningDigest: `sha256:${'a'.repeat(64)}`,
  flags: {},
  migrationsRolledBack: [],
};

describe('recording target: exactly once', () => {
  test('a step is applied once; a second attempt, here or in another instance, does nothing', async () => {
    const dir = tempDir();
    const { plan, deployment } = await examplePlan('with-migration.yaml', { elapsedSeconds: 3000 });
    const step = plan.steps[0]!;
    const ctx = testContext(deployment, plan.planHash);
    const first = new RecordingTarget({ journalFile: journalIn(dir), pauseScale: 0 });
    const second = new RecordingTarget({ journalFile: journalIn(dir), pauseScale: 0 });

    expect(await first.apply(step, ctx)).toEqual({ applied: true, detail: 'canary weight 0%' });
    expect((await first.apply(step, ctx)).applied).toBe(false);
    expect((await second.apply(step, ctx)).applied).toBe(false);
    expect(await second.verify(step, ctx)).toBe('canary weight 0%');
    expect([...(await second.view()).appliedCounts().values()]).toEqual([1]);
  });

  test('two instances applying the same steps at the same time apply each once', async () => {
    const dir = tempDir();
    const { plan, deployment } = await examplePlan('with-migration.yaml');
    const steps = plan.steps.filter((s) => !s.irreversible);
    const ctx = testContext(deployment, plan.planHash);
    const targets = [0, 1, 2].map(() => new RecordingTarget({ journalFile: journalIn(dir), pauseScale: 0 }));
    const results = await Promise.all(targets.flatMap((t) => steps.map((s) => t.apply(s, ctx))));
    expect(results.filter((r) => r.applied)).toHaveLength(steps.length);
    const counts = (await targets[0]!.view()).appliedCounts();
    expect(steps.map((s) => counts.get(s.idempotencyKey))).toEqual(steps.map(() => 1));
  });

  test('separate processes sharing one journal apply each step once', async () => {
    const dir = tempDir();
    const { plan, deployment } = await examplePlan('with-migration.yaml', { elapsedSeconds: 3000 });
    const steps = plan.steps.filter((s) => !s.irreversible);
    const spec = path.join(dir, 'spec.json');
    writeFileSync(spec, JSON.stringify({ journalFile: journalIn(dir), deployment, plan, steps }));
    const child = path.join(__dirname, 'apply-steps-child.ts');
    const outputs = await Promise.all(
      [0, 1, 2, 3].map(() =>
        run(process.execPath, ['--import', 'tsx', child, spec], {
          cwd: path.resolve(__dirname, '..', '..', '..'),
        }),
      ),
    );
    const applied = outputs.flatMap(({ stdout }) => JSON.parse(stdout) as boolean[]).filter(Boolean);
    expect(applied).toHaveLength(steps.length);
    const counts = (await new RecordingTarget({ journalFile: journalIn(dir) }).view()).appliedCounts();
    expect(steps.map((s) => counts.get(s.idempotencyKey))).toEqual(steps.map(() => 1));
  }, 60_000);
});

describe('recording target: traffic stages', () => {
  test('passes through every stage in order, heartbeating, and pauses between them', async () => {
    const dir = tempDir();
    const { plan, deployment } = await examplePlan('with-migration.yaml', { elapsedSeconds: 3000 });
    const step = plan.steps[0]!;
    const pauses: number[] = [];
    const ctx = {
      ...testContext(deployment, plan.planHash),
      sleep: async (ms: number) => void pauses.push(ms),
    };
    const target = new RecordingTarget({ journalFile: journalIn(dir), pauseScale: 0.01 });
    await target.apply(step, ctx);
    const stages = (await target.view()).entries
      .filter((e) => e.kind === 'stage')
      .map((e) => e.kind === 'stage' && e.weight);
    expect(stages).toEqual([75, 50, 25, 0]);
    // 30s pauses scaled by 0.01 before stages 2, 3 and 4.
    expect(pauses).toEqual([300, 300, 300]);
    expect(ctx.beats.length).toBeGreaterThanOrEqual(4);
  });

  test('a step interrupted after its first stage resumes without repeating it', async () => {
    const dir = tempDir();
    const { plan, deployment } = await examplePlan('with-migration.yaml', { elapsedSeconds: 3000 });
    const step = plan.steps[0]!;
    const ctx = testContext(deployment, plan.planHash);
    const target = new RecordingTarget({
      journalFile: journalIn(dir),
      pauseScale: 0,
      faults: [{ step: 0, midway: true, times: 1 }],
    });
    await expect(target.apply(step, ctx)).rejects.toThrow('injected failure 1 of 1 at step 0 apply (midway)');
    expect((await target.state(deployment)).canaryWeight).toBe(75);

    const restarted = new RecordingTarget({ journalFile: journalIn(dir), pauseScale: 0 });
    expect((await restarted.apply(step, ctx)).applied).toBe(true);
    const stages = (await restarted.view()).entries
      .filter((e) => e.kind === 'stage')
      .map((e) => e.kind === 'stage' && e.stage);
    expect(stages).toEqual([0, 1, 2, 3]);
  });
});

describe('recording target: compensation', () => {
  test('undoing the applied steps in reverse restores the state found before them', async () => {
    const dir = tempDir();
    const { plan, deployment } = await examplePlan('with-migration.yaml', { elapsedSeconds: 3000 });
    const steps = plan.steps.filter((s) => !s.irreversible);
    const ctx = testContext(deployment, plan.planHash);
    const target = new RecordingTarget({ journalFile: journalIn(dir), pauseScale: 0 });
    for (const step of steps) await target.apply(step, ctx);
    expect(await target.state(deployment)).toEqual({
      ...INITIAL,
      canaryWeight: 0,
      runningDigest: `sha256:${'b'.repeat(64)}`,
      migrationsRolledBack: ['2025_06_add_invoice_v2_columns'],
    });
    const details = [];
    for (const step of [...steps].reverse()) details.push(await target.compensate(step, ctx));
    expect(details).toEqual([
      { compensated: true, detail: 'restored migration 2025_06_add_invoice_v2_columns applied' },
      { compensated: true, detail: `restored running artifact sha256:${'a'.repeat(64)}` },
      { compensated: true, detail: 'restored canary weight as deployed' },
    ]);
    expect(await target.state(deployment)).toEqual(INITIAL);
  });

  test('a step left half done by a permanent failure is undone too', async () => {
    const dir = tempDir();
    const { plan, deployment } = await examplePlan('with-migration.yaml', { elapsedSeconds: 3000 });
    const step = plan.steps[0]!;
    const ctx = testContext(deployment, plan.planHash);
    const target = new RecordingTarget({
      journalFile: journalIn(dir),
      pauseScale: 0,
      initial: { canaryWeight: 50 },
      faults: [{ step: 0, midway: true, permanent: true }],
    });
    await expect(target.apply(step, ctx)).rejects.toBeInstanceOf(PermanentStepError);
    expect((await target.state(deployment)).canaryWeight).toBe(75);
    expect(await target.compensate(step, ctx)).toEqual({
      compensated: true,
      detail: 'restored canary weight 50%',
    });
    expect((await target.state(deployment)).canaryWeight).toBe(50);
  });

  test('compensation is idempotent and a step never applied has nothing to undo', async () => {
    const dir = tempDir();
    const { plan, deployment } = await examplePlan('feature-flag.yaml');
    const step = plan.steps[0]!;
    const ctx = testContext(deployment, plan.planHash);
    const target = new RecordingTarget({ journalFile: journalIn(dir) });
    expect(await target.compensate(step, ctx)).toEqual({
      compensated: false,
      detail: 'never applied: nothing to undo',
    });
    await target.apply(step, ctx);
    expect(await target.verify(step, ctx)).toBe('flag search/search.new-ranking off');
    await target.compensate(step, ctx);
    expect((await target.compensate(step, ctx)).detail).toBe(
      'already undone: flag search/search.new-ranking as deployed',
    );
    expect((await target.view()).entries.filter((e) => e.kind === 'compensated')).toHaveLength(1);
    expect((await target.state(deployment)).flags).toEqual({});
  });

  test('an undone step is not applied again, and no longer verifies', async () => {
    const dir = tempDir();
    const { plan, deployment } = await examplePlan('blue-green.yaml');
    const step = plan.steps[0]!;
    const ctx = testContext(deployment, plan.planHash);
    const target = new RecordingTarget({ journalFile: journalIn(dir) });
    await target.apply(step, ctx);
    expect(await target.verify(step, ctx)).toBe('live colour blue (previous version)');
    await target.compensate(step, ctx);
    await expect(target.verify(step, ctx)).rejects.toThrow(
      'expected live colour blue (previous version), read back live colour green (new version)',
    );
    await expect(target.apply(step, ctx)).rejects.toBeInstanceOf(PermanentStepError);
  });
});

describe('recording target: refusals and injected faults', () => {
  test('an irreversible migration is refused for good', async () => {
    const { plan, deployment } = await examplePlan('with-migration.yaml');
    const target = new RecordingTarget({ journalFile: journalIn(tempDir()) });
    await expect(target.apply(plan.steps[3]!, testContext(deployment, plan.planHash))).rejects.toThrow(
      'step 3 "legacy-table-dropped" is irreversible',
    );
  });

  test('verifying a step that was never applied fails verification', async () => {
    const { plan, deployment } = await examplePlan('canary.yaml');
    const target = new RecordingTarget({ journalFile: journalIn(tempDir()) });
    await expect(
      target.verify(plan.steps[0]!, testContext(deployment, plan.planHash)),
    ).rejects.toBeInstanceOf(StepVerificationError);
  });

  test('a fault for k attempts fails k times, then the step applies', async () => {
    const { plan, deployment } = await examplePlan('canary.yaml');
    const ctx = testContext(deployment, plan.planHash);
    const target = new RecordingTarget({
      journalFile: journalIn(tempDir()),
      faults: [{ step: 1, times: 2 }],
    });
    await expect(target.apply(plan.steps[1]!, ctx)).rejects.toThrow('injected failure 1 of 2');
    await expect(target.apply(plan.steps[1]!, ctx)).rejects.toThrow('injected failure 2 of 2');
    expect(await target.apply(plan.steps[1]!, ctx)).toEqual({ applied: true, detail: 'no state changed' });
    expect(await target.verify(plan.steps[1]!, ctx)).toBe(
      'POST https://deploys.example.com/hooks/ripcord recorded',
    );
  });

  test('verification faults are verification failures; permanent faults are permanent', async () => {
    const { plan, deployment } = await examplePlan('canary.yaml');
    const ctx = testContext(deployment, plan.planHash);
    const target = new RecordingTarget({
      journalFile: journalIn(tempDir()),
      pauseScale: 0,
      faults: [
        { step: 0, phase: 'verify', times: 1 },
        { step: 1, permanent: true },
      ],
    });
    await target.apply(plan.steps[0]!, ctx);
    await expect(target.verify(plan.steps[0]!, ctx)).rejects.toBeInstanceOf(StepVerificationError);
    expect(await target.verify(plan.steps[0]!, ctx)).toBe('canary weight 0%');
    await expect(target.apply(plan.steps[1]!, ctx)).rejects.toBeInstanceOf(PermanentStepError);
  });

  test('the journal is JSON lines readable by people, holding secret references only', async () => {
    const dir = tempDir();
    const { plan, deployment } = await examplePlan('canary.yaml');
    const target = new RecordingTarget({ journalFile: journalIn(dir), pauseScale: 0 });
    for (const step of plan.steps) await target.apply(step, testContext(deployment, plan.planHash));
    const lines = readFileSync(journalIn(dir), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { kind: string }).kind)).toEqual([
      'begin',
      'stage',
      'applied',
      'begin',
      'applied',
    ]);
    expect(lines.join('\n')).toContain('${secret:DEPLOY_HOOK_HMAC}');
  });
});
