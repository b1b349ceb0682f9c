import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { defaultActivityDeps } from '../../src/worker/composition';
import { connectClient } from '../../src/client/connect';
import { type GuardianHandle, guardianStatus, startGuardian } from '../../src/client/guardians';
import { findFreePort } from '../../src/dev/ports';
import { prepareRehearsal, rehearsalInput } from '../../src/rehearsal/prepare';
import { loadPolicyFile } from '../../src/policy';
import { encryptingDataConverter, Keyring, loadKeyringFile, writeNewKeyring } from '../../src/security/codec';
import { AesGcmPayloadCodec } from '../../src/security/codec/aes-gcm-codec';
import { createWorker } from '../../src/worker';
import { GUARDIAN_WORKFLOW_TYPE } from '../../src/model/guardian';
import { CliProcess } from '../harness/cli';
import { bundleWorkflows, integrationConnection, quietRuntime } from '../harness/temporal';

/**
 * Payload encryption on the real dev server: a worker and a client sharing the
 * codec run a guardian whose history holds only ciphertext; `ripcord
 * codec-server` decodes it for the Web UI and CLI by Temporal's codec server
 * protocol, for callers with the bearer token, from allowed origins only.
 */
const REPO_ROOT = resolve(__dirname, '..', '..');
const TOKEN = `codec-${randomUUID()}`;
const UI_ORIGIN = 'http://localhost:8233';
const taskQueue = `codec-${randomUUID()}`;
const deploymentId = `enc-${randomUUID().slice(0, 8)}`;

let dir: string;
let keyring: Keyring;
let server: CliProcess;
let base: string;
let worker: Worker;
let running: Promise<void>;
let closeWorker: () => Promise<void>;
let client: Client;
let plain: Client;
let handle: GuardianHandle;

interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}
const b64 = (text: string) => Buffer.from(text).toString('base64');
const unb64 = (text: string | undefined) => Buffer.from(text ?? '', 'base64').toString();

async function call(
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
) {
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}`, ...init.headers },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

beforeAll(async () => {
  quietRuntime();
  dir = mkdtempSync(join(tmpdir(), 'ripcord-codec-'));
  const keysFile = join(dir, 'keyring.json');
  await writeNewKeyring(keysFile, 'k-2026-03');
  keyring = loadKeyringFile(keysFile);

  const port = await findFreePort();
  server = new CliProcess(
    [
      'codec-server',
      '--port',
      String(port),
      '--keys',
      keysFile,
      '--token-secret',
      '${secret:CODEC_TOKEN}',
      '--web-ui-origin',
      UI_ORIGIN,
    ],
    { RIPCORD_SECRET_CODEC_TOKEN: TOKEN },
  );
  await server.waitFor(/codec server on (\S+)/, 30_000);
  base = `http://127.0.0.1:${port}`;

  const connection = integrationConnection(taskQueue);
  const dataConverter = encryptingDataConverter(keyring);
  const created = await createWorker({
    connection,
    workflowBundle: await bundleWorkflows(),
    dataConverter,
    deps: defaultActivityDeps({ dryRun: true, stateDir: dir }),
  });
  worker = created.worker;
  closeWorker = created.close;
  running = worker.run();
  client = await connectClient(connection, { dataConverter });
  plain = new Client({
    connection: await Connection.connect({ address: connection.address }),
    namespace: connection.namespace,
  });

  const prepared = await prepareRehearsal(
    // The p99 example: the demo scenario carries a p99 and no latency histogram.
    await loadPolicyFile(join(REPO_ROOT, 'policies/examples/canary-p99-only.yaml')),
    join(REPO_ROOT, 'src/dev/demo-scenarios/healthy.json'),
    30,
  );
  handle = await startGuardian(client, taskQueue, rehearsalInput(prepared, deploymentId, new Date()));
});

afterAll(async () => {
  await handle?.terminate('test over').catch(() => undefined);
  await client?.connection.close();
  await plain?.connection.close();
  worker?.shutdown();
  await running;
  await closeWorker?.();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function encryptedStartInput(): Promise<JsonPayload> {
  const history = await plain.workflow.getHandle(handle.workflowId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  expect(started?.workflowType?.name).toBe(GUARDIAN_WORKFLOW_TYPE);
  const payload = started!.input!.payloads![0]!;
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(payload.metadata ?? {}))
    metadata[k] = Buffer.from(v).toString('base64');
  return { metadata, data: Buffer.from(payload.data!).toString('base64') };
}

test('worker and client share the codec; history holds only ciphertext; a client without keys cannot read it', async () => {
  const status = await guardianStatus(handle);
  expect(status.deploymentId).toBe(deploymentId);

  const stored = await encryptedStartInput();
  expect(unb64(stored.metadata.encoding)).toBe('binary/encrypted');
  expect(unb64(stored.metadata['encryption-key-id'])).toBe('k-2026-03');
  expect(unb64(stored.data)).not.toContain(deploymentId);
  expect(unb64(stored.data)).not.toContain('team-payments');

  await expect(plain.workflow.getHandle(handle.workflowId).query('status')).rejects.toThrow(
    /binary\/encrypted/,
  );
});

test('the codec server decodes history for a caller with the token (Temporal codec server protocol)', async () => {
  const stored = await encryptedStartInput();
  const decoded = await call('/default/decode', {
    body: { payloads: [stored] },
    headers: { 'X-Namespace': 'default' },
  });
  expect(decoded.status).toBe(200);
  const [payload] = decoded.body.payloads as JsonPayload[];
  expect(unb64(payload!.metadata.encoding)).toBe('json/plain');
  expect(JSON.parse(unb64(payload!.data))).toMatchObject({ deployment: { deploymentId } });
  expect(decoded.headers.get('cache-control')).toBe('no-store');

  // /encode then /decode gives back the same payload.
  const original = { metadata: { encoding: b64('json/plain') }, data: b64('{"hello":"world"}') };
  const encoded = await call('/encode', { body: { payloads: [original] } });
  expect(encoded.status).toBe(200);
  const sealed = (encoded.body.payloads as JsonPayload[])[0]!;
  expect(unb64(sealed.metadata['encryption-key-id'])).toBe('k-2026-03');
  const back = await call('/decode', { body: { payloads: [sealed] } });
  expect(back.body.payloads).toEqual([original]);
});

test('without the right bearer token: 401; from another origin: 403; CORS for the Web UI', async () => {
  const stored = await encryptedStartInput();
  const none = await call('/decode', { body: { payloads: [stored] }, headers: { Authorization: '' } });
  expect(none.status).toBe(401);
  expect(none.body).toEqual({ error: 'a valid bearer token is required' });
  const wrong = await call('/decode', {
    body: { payloads: [stored] },
    headers: { Authorization: `Bearer ${TOKEN}x` },
  });
  expect(wrong.status).toBe(401);

  const preflight = await call('/default/decode', {
    method: 'OPTIONS',
    headers: {
      Authorization: '',
      Origin: UI_ORIGIN,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'content-type,x-namespace,authorization',
    },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
  expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
  expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-Namespace.*Authorization/);

  const fromUi = await call('/decode', { body: { payloads: [stored] }, headers: { Origin: UI_ORIGIN } });
  expect(fromUi.status).toBe(200);
  expect(fromUi.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);

  const evil = await call('/decode', {
    body: { payloads: [stored] },
    headers: { Origin: 'https://evil.example' },
  });
  expect(evil.status).toBe(403);
  expect(evil.headers.get('access-control-allow-origin')).toBeNull();

  expect((await call('/decode', { method: 'GET' })).status).toBe(405);
  expect((await call('/metrics', { body: {} })).status).toBe(404);
});

test('a payload encrypted with a key the codec server does not have: a clear error naming the key id', async () => {
  const [foreign] = await new AesGcmPayloadCodec(
    new Keyring([{ id: 'retired-2025', key: Buffer.alloc(32, 7) }]),
  ).encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"x":1}') }]);
  const payload = {
    metadata: Object.fromEntries(
      Object.entries(foreign!.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
    ),
    data: Buffer.from(foreign!.data!).toString('base64'),
  };
  const result = await call('/decode', { body: { payloads: [payload] } });
  expect(result.status).toBe(422);
  expect(result.body).toEqual({
    error:
      'cannot decode: payload encrypted with key id "retired-2025", which is not in this keyring (it has: k-2026-03)',
  });
});
