import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { assertPortFree, findFreePort } from '../../src/dev/ports';
import { CliProcess, runCli } from '../harness/cli';

/**
 * `ripcord dev server` as a user runs it: Web UI served, workflows accepted,
 * state kept in the --db file across a restart, a clean stop on SIGTERM, and a
 * plain message when the port is taken.
 */
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-dev-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function listIds(address: string, query: string): Promise<string[]> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace: 'default' });
    const ids: string[] = [];
    for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
    return ids;
  } finally {
    await connection.close();
  }
}

test('serves the Web UI, keeps workflows across a restart, stops cleanly, reports a taken port', async () => {
  const port = await findFreePort();
  const uiPort = await findFreePort();
  const db = join(dir, 'temporal.db');
  const args = ['dev', 'server', '--port', String(port), '--ui-port', String(uiPort), '--db', db];

  const first = new CliProcess(args);
  const ready = await first.waitFor(/ready: gRPC (\S+)\s+Web UI (\S+)/);
  expect(ready[1]).toBe(`127.0.0.1:${port}`);
  const ui = await fetch(ready[2]!);
  expect(ui.ok).toBe(true);
  expect(await ui.text()).toMatch(/<html/i);

  // Start a guardian with no worker: it stays open, stored in the SQLite file.
  const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
  const client = new Client({ connection, namespace: 'default' });
  await client.workflow.start('guardian', {
    taskQueue: 'nobody-listens',
    workflowId: 'ripcord/staging/persisted/d1',
    args: [
      {
        deploymentId: 'd1',
        service: 'persisted',
        environment: 'staging',
        version: '1',
        watchSeconds: 60,
        intervalSeconds: 10,
      },
    ],
  });
  await connection.close();

  // A second server on the same port is refused with a plain message.
  const clash = runCli(args);
  expect(clash.code).toBe(1);
  expect(clash.stderr).toMatch(/port \d+ on 127\.0\.0\.1 is already in use/);
  expect(clash.stderr).not.toMatch(/\n\s+at /); // no stack trace

  expect(await first.stop('SIGTERM')).toBe(0);
  // No orphan: the Temporal process released both ports.
  await assertPortFree(port, '127.0.0.1', 'gRPC');
  await assertPortFree(uiPort, '127.0.0.1', 'Web UI');

  const second = new CliProcess(args);
  try {
    await second.waitFor(/ready:/);
    expect(await listIds(`127.0.0.1:${port}`, 'WorkflowId = "ripcord/staging/persisted/d1"')).toEqual([
      'ripcord/staging/persisted/d1',
    ]);
  } finally {
    expect(await second.stop('SIGINT')).toBe(0);
  }
});
