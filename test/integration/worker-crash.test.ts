import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectClient } from '../../src/client/connect';
import { guardianStatus, listGuardians } from '../../src/client/guardians';
import { loadPolicyFile } from '../../src/policy';
import type { GuardianStatus } from '../../src/model/guardian';
import { CliProcess } from '../harness/cli';
import { integrationConnection } from '../harness/temporal';
import { startReplayGuardian, writeErrorStepScenario } from '../harness/replay-guardian';

/**
 * The reason to build on Temporal: a rollback half-done when the worker dies
 * must still finish, and every step must take effect exactly once. A real dev
 * server, real worker processes (`ripcord worker --dry-run`), SIGKILL in the
 * middle of the traffic step; the recording target's journal is the proof.
 */
const root = resolve(__dirname, '..', '..');

interface JournalLine {
  kind: string;
  key: string;
  index?: number;
}

test('a worker killed in the middle of the rollback: a new worker finishes it, each step applied once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ripcord-crash-'));
  const connection = integrationConnection(`crash-${randomUUID()}`);
  const workerEnv = {
    TEMPORAL_ADDRESS: connection.address,
    TEMPORAL_NAMESPACE: connection.namespace,
    RIPCORD_TASK_QUEUE: connection.taskQueue,
  };
  const workerArgs = ['worker', '--dry-run', '--state-dir', dir];

  // error-step-00 started 5 intervals before its onset: evidence this moderate drains traffic progressively,
  // with a pause between stages; the kill lands there.
  const scenarioFile = writeErrorStepScenario(join(dir, 'error-step.json'));

  // The p99 example: error-step-00 carries a p99 and no latency histogram.
  const { policy, hash } = await loadPolicyFile(join(root, 'policies/examples/canary-p99-only.yaml'));
  const client = await connectClient(connection);
  let first: CliProcess | undefined = new CliProcess(workerArgs, workerEnv);
  let second: CliProcess | undefined;
  try {
    await first.waitFor(/worker running/);
    const service = policy.metadata.service;
    const handle = await startReplayGuardian(client, connection.taskQueue, {
      policy,
      hash,
      scenarioFile,
      deploymentId: `crash-${randomUUID().slice(0, 8)}`,
    });

    // Wait until the traffic step is under way (it pauses between its stages), then kill the worker.
    let status: GuardianStatus = await guardianStatus(handle);
    const deadline = Date.now() + 90_000;
    while (status.plan?.steps[0]?.state !== 'running' && Date.now() < deadline) {
      expect(status.outcome).toBeUndefined();
      await new Promise((r) => setTimeout(r, 100));
      status = await guardianStatus(handle);
    }
    expect(status.phase).toBe('execute');
    expect(status.plan?.steps[0]?.state).toBe('running');
    first.child.kill('SIGKILL');
    await first.exited;
    first = undefined;

    second = new CliProcess(workerArgs, workerEnv);
    const result = await handle.result();
    expect(result.outcome).toBe('rolled-back');

    const journal = readFileSync(join(dir, 'dry-run', 'journal.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as JournalLine);
    const applied = journal.filter((e) => e.kind === 'applied').map((e) => e.key);
    const planned = (await guardianStatus(handle)).plan!.steps.length;
    expect(applied).toHaveLength(planned);
    expect(new Set(applied).size).toBe(planned); // every step once, none twice
    expect(journal.filter((e) => e.kind === 'compensated')).toEqual([]);

    // The audit trail says the same: one record per step, then the outcome.
    const audit = readFileSync(join(dir, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { kind: string; summary: string });
    expect(audit.filter((r) => r.kind === 'step')).toHaveLength(planned);
    expect(audit.at(-1)).toMatchObject({ kind: 'outcome', summary: expect.stringMatching(/^rolled-back/) });

    const found = await listGuardians(client, {
      service,
      deploymentId: handle.workflowId.split('/').at(-1)!,
    });
    expect(found[0]).toMatchObject({ workflowId: handle.workflowId, outcome: 'rolled-back', phase: 'close' });
  } finally {
    first?.child.kill('SIGKILL');
    await second?.stop('SIGTERM');
    await client.connection.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
