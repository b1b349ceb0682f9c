import { randomUUID } from 'node:crypto';
import { connectClient } from '../../src/client/connect';
import { startGuardian } from '../../src/client/guardians';
import { createWorker } from '../../src/worker';
import { bundleWorkflows, integrationConnection, quietRuntime } from '../harness/temporal';

/**
 * The whole path on a real dev server: client → server → worker → workflow →
 * activity, and the run found again through visibility by its search attribute.
 */
test('a guardian runs on the real dev server and is found by RipcordService', async () => {
  quietRuntime();
  const connection = integrationConnection(`it-${randomUUID()}`);
  const service = `svc-${randomUUID().slice(0, 8)}`;
  const client = await connectClient(connection);
  const { worker, close } = await createWorker({ connection, workflowBundle: await bundleWorkflows() });
  try {
    const result = await worker.runUntil(async () => {
      const handle = await startGuardian(client, connection.taskQueue, {
        deploymentId: 'd1',
        service,
        environment: 'staging',
        version: '1.4.2',
        watchSeconds: 2,
        intervalSeconds: 1,
      });
      expect(handle.workflowId).toBe(`ripcord/staging/${service}/d1`);
      return handle.result();
    });
    expect(result.outcome).toBe('promoted');
    expect(result.evaluations).toBe(2);

    // Visibility is eventually consistent: poll briefly for the closed run.
    let found: { workflowId: string; status: string; attrs: unknown }[] = [];
    for (let attempt = 0; attempt < 50 && found.length === 0; attempt++) {
      found = [];
      for await (const wf of client.workflow.list({ query: `RipcordService = "${service}"` })) {
        found.push({ workflowId: wf.workflowId, status: wf.status.name, attrs: wf.searchAttributes });
      }
      if (found.length === 0 || found[0]!.status !== 'COMPLETED') {
        found = [];
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      workflowId: `ripcord/staging/${service}/d1`,
      status: 'COMPLETED',
      attrs: {
        RipcordService: [service],
        RipcordPhase: ['close'],
        RipcordOutcome: ['promoted'],
        RipcordVersion: ['1.4.2'],
      },
    });
  } finally {
    await client.connection.close();
    await close();
  }
});
