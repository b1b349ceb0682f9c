import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { parse, stringify } from 'yaml';
import type { PagerDutyEvent, SlackMessage, WebhookNotification } from '../../src/activities/notify';
import { connectClient } from '../../src/client/connect';
import { webUiLink } from '../../src/client/guardians';
import { loadPolicyFile } from '../../src/policy';
import { verifyWebhookSignature } from '../../src/targets/webhook/signature';
import { createWorker, type RipcordMetrics } from '../../src/worker';
import type { NotificationEventName } from '../../src/model/activity-contract';
import { CliProcess } from '../harness/cli';
import { bundleWorkflows, integrationConnection, quietRuntime, integrationCliEnv } from '../harness/temporal';
import { Receiver } from '../unit/activities/notify/receiver';
import { startReplayGuardian, writeErrorStepScenario } from '../harness/replay-guardian';

/**
 * Notifications from real guardians on the dev server, to a local receiver
 * that plays Slack, a deploy bot (signed webhook) and PagerDuty, next to a
 * receiver that never answers. One guardian asks for approval, is approved
 * with the exact command its notification carries, rolls back and recovers;
 * another is not approved in time and escalates. Every message links the
 * guardian in the Web UI; the dead receiver holds nothing up.
 */
const REPO_ROOT = resolve(__dirname, '..', '..');
const HMAC_KEY = `whsec-${randomUUID()}`;
const SLACK_PATH = `/services/T0/B0/${randomUUID()}`;
const taskQueue = `notify-${randomUUID()}`;
const webUi = process.env.RIPCORD_TEST_TEMPORAL_UI ?? 'http://127.0.0.1:8233';

let dir: string;
let receiver: Receiver;
let dead: Receiver;
let client: Client;
let worker: Worker;
let metrics: RipcordMetrics;
let running: Promise<void>;
let closeWorker: () => Promise<void>;
const savedEnv = { ...process.env };

beforeAll(async () => {
  quietRuntime();
  dir = mkdtempSync(join(tmpdir(), 'ripcord-notify-'));
  receiver = await Receiver.start();
  dead = await Receiver.start(() => 'hang');
  // The worker resolves the policy's secret references from its environment, at send time.
  process.env.RIPCORD_SECRET_NOTIFY_TEST_SLACK = receiver.url(SLACK_PATH);
  process.env.RIPCORD_SECRET_NOTIFY_TEST_HMAC = HMAC_KEY;
  process.env.RIPCORD_SECRET_NOTIFY_TEST_PD = 'pd-routing-key';
  const connection = { ...integrationConnection(taskQueue), webUi };
  const created = await createWorker({
    connection,
    workflowBundle: await bundleWorkflows(),
    depsOptions: {
      stateDir: dir,
      dryRun: true,
      notifications: { send: true, pagerDutyEventsUrl: receiver.url('/pagerduty') },
    },
  });
  ({ worker, metrics, close: closeWorker } = created);
  running = worker.run();
  client = await connectClient(connection);
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await closeWorker?.();
  await client?.connection.close();
  await receiver?.stop();
  await dead?.stop();
  process.env = savedEnv;
  rmSync(dir, { recursive: true, force: true });
});

/**
 * canary-p99-only.yaml (error-step-00 carries a p99 and no latency histogram) for a service of its own,
 * every rollback high-risk, and this test's receivers.
 */
async function policyFor(service: string, approval: { timeoutSeconds: number }) {
  const doc = parse(readFileSync(join(REPO_ROOT, 'policies/examples/canary-p99-only.yaml'), 'utf8'));
  doc.metadata.service = service;
  doc.risk = { highRiskWhen: [{ when: 'always' }] };
  doc.trustedKeys = { approvals: ['notify-test-key'] };
  doc.approval = {
    roles: ['sre'],
    quorum: 1,
    timeoutSeconds: approval.timeoutSeconds,
    onTimeout: 'escalate',
  };
  const all = [
    'rollback-decided',
    'approval-requested',
    'rollback-started',
    'rollback-completed',
    'rollback-failed',
    'escalated',
  ];
  doc.notifications = [
    {
      name: 'oncall',
      type: 'slack',
      webhookUrlSecret: '${secret:NOTIFY_TEST_SLACK}',
      channel: '#deploys',
      on: all,
    },
    {
      name: 'deploy-bot',
      type: 'webhook',
      url: receiver.url('/hook'),
      hmacSecret: '${secret:NOTIFY_TEST_HMAC}',
      on: all,
    },
    {
      name: 'black-hole',
      type: 'webhook',
      url: dead.url('/hook'),
      hmacSecret: '${secret:NOTIFY_TEST_HMAC}',
      on: all,
    },
    {
      name: 'pager',
      type: 'pagerduty',
      routingKeySecret: '${secret:NOTIFY_TEST_PD}',
      on: ['escalated', 'rollback-completed'],
    },
  ];
  const file = join(dir, `${service}.yaml`);
  writeFileSync(file, stringify(doc));
  return loadPolicyFile(file);
}

async function startFor(service: string, approvalTimeoutSeconds: number) {
  const { policy, hash } = await policyFor(service, { timeoutSeconds: approvalTimeoutSeconds });
  const deploymentId = `d-${randomUUID().slice(0, 8)}`;
  const scenarioFile = writeErrorStepScenario(join(dir, 'error-step.json'));
  const handle = await startReplayGuardian(client, taskQueue, {
    policy,
    hash,
    scenarioFile,
    deploymentId,
    deployer: 'alice',
  });
  return { handle, deploymentId, policy };
}

/** The webhook notifications of one guardian, each checked against its HMAC signature. */
function signedHooks(workflowId: string): WebhookNotification[] {
  return receiver.on('/hook').flatMap((r) => {
    const timestamp = String(r.headers['x-ripcord-timestamp']);
    expect(
      verifyWebhookSignature(HMAC_KEY, timestamp, r.body, String(r.headers['x-ripcord-signature'])),
    ).toBe(true);
    const payload = JSON.parse(r.body) as WebhookNotification;
    return payload.workflowId === workflowId ? [payload] : [];
  });
}

async function waitForEvent(workflowId: string, event: NotificationEventName): Promise<WebhookNotification> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const found = signedHooks(workflowId).find((p) => p.event === event);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `no ${event} for ${workflowId}; got ${signedHooks(workflowId)
      .map((p) => p.event)
      .join(', ')}`,
  );
}

const slackFor = (deploymentId: string) =>
  receiver.json<SlackMessage>(SLACK_PATH).filter((m) => m.text.includes(`\`${deploymentId}\``));

test('approval needed, approved with the command from the notification, rolled back: each event says so, with the Web UI link', async () => {
  const service = `pay-${randomUUID().slice(0, 6)}`;
  const { handle, deploymentId } = await startFor(service, 1800);
  const link = webUiLink(webUi, integrationCliEnv().TEMPORAL_NAMESPACE, handle.workflowId);

  const asked = await waitForEvent(handle.workflowId, 'approval-requested');
  expect(asked.webUiUrl).toBe(link);
  expect(asked.title).toBe(`Approval needed: rollback of ${service} 2.0.0 in production`);
  expect(asked.planHash).toMatch(/^sha256:[0-9a-f]{64}$/);
  const namespace = integrationCliEnv().TEMPORAL_NAMESPACE;
  expect(asked.approveCommand).toBe(
    `TEMPORAL_NAMESPACE=${namespace} npx ripcord approve ${deploymentId} --service ${service} --env production --plan ${asked.planHash} --role sre`,
  );

  // A person pastes the command (the policy's only approval role is already in it) and it works: the plan in the message is the plan
  // waiting, and the guardian's namespace comes from the command, not from this test's environment.
  const [assignment, ...words] = asked.approveCommand!.split(' ');
  const [variable, value] = assignment!.split('=');
  expect(words.slice(0, 2)).toEqual(['npx', 'ripcord']);
  // Asynchronously: the worker answering the command's status query runs in this process.
  const cli = new CliProcess([...words.slice(2), '--as', 'bob'], {
    RIPCORD_PROFILE: '',
    TEMPORAL_ADDRESS: integrationCliEnv().TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE: undefined,
    [variable!]: value,
    RIPCORD_TASK_QUEUE: taskQueue,
  });
  const approved = { code: await cli.exited, stderr: cli.stderr };
  expect(approved.stderr).toBe('');
  expect(approved.code).toBe(0);

  const result = await handle.result();
  expect(result.outcome).toBe('rolled-back');

  const events = signedHooks(handle.workflowId);
  expect(events.map((e) => e.event)).toEqual([
    'rollback-decided',
    'approval-requested',
    'rollback-started',
    'rollback-completed',
  ]);
  for (const e of events) expect(e.webUiUrl).toBe(link);
  expect(events[0]!.message).toMatch(new RegExp(`^Rolling back ${service} 2\\.0\\.0: `));
  expect(events[2]).toMatchObject({
    planHash: result.planHash,
    title: `Rollback started: ${service} 2.0.0 → 1.9.0 in production`,
  });
  expect(events[3]).toMatchObject({
    outcome: 'rolled-back',
    title: `Rolled back: ${service} is on 1.9.0 again in production`,
  });

  // Slack got the same story, in its own format; PagerDuty only what the pager subscribed to.
  const slack = slackFor(deploymentId);
  expect(slack).toHaveLength(4);
  for (const m of slack) expect(m.text).toContain(`<${link}|Open the guardian in the Temporal Web UI>`);
  expect(slack[1]!.text).toContain(
    `\`\`\`${asked.approveCommand!.replace('<', '&lt;').replace('>', '&gt;')}\`\`\``,
  );
  const pages = receiver.json<PagerDutyEvent>('/pagerduty').filter((p) => p.dedup_key === handle.workflowId);
  expect(pages).toEqual([
    { routing_key: 'pd-routing-key', event_action: 'resolve', dedup_key: handle.workflowId },
  ]);

  // The receiver that never answers was tried, and held nothing up: the guardian finished all the same.
  expect(dead.on('/hook').length).toBeGreaterThan(0);
  const text = await metrics.metrics();
  expect(text).toMatch(
    /^ripcord_notifications_total\{receiver_type="webhook",event="rollback-decided",result="failed"\} [1-9]/m,
  );
});

test('not approved in time: the escalation tells a person what they can do, and pages', async () => {
  const service = `esc-${randomUUID().slice(0, 6)}`;
  const { handle, deploymentId } = await startFor(service, 60);
  const result = await handle.result();
  expect(result.outcome).toBe('escalated');

  const events = signedHooks(handle.workflowId);
  expect(events.map((e) => e.event)).toEqual(['rollback-decided', 'approval-requested', 'escalated']);
  const escalated = events[2]!;
  const inNamespace = `TEMPORAL_NAMESPACE=${integrationCliEnv().TEMPORAL_NAMESPACE}`;
  expect(escalated).toMatchObject({
    title: `Escalated to a person: ${service} 2.0.0 in production`,
    message: 'Escalated: the rollback was not approved in time',
    webUiUrl: webUiLink(webUi, integrationCliEnv().TEMPORAL_NAMESPACE, handle.workflowId),
    escalationCommands: [
      `${inNamespace} npx ripcord status ${deploymentId} --service ${service} --env production`,
      `${inNamespace} npx ripcord rollback ${deploymentId} --service ${service} --env production --reason "<why>"`,
      `${inNamespace} npx ripcord abort ${deploymentId} --service ${service} --env production --reason "<why>"`,
    ],
  });
  const pages = receiver.json<PagerDutyEvent>('/pagerduty').filter((p) => p.dedup_key === handle.workflowId);
  expect(pages).toHaveLength(1);
  expect(pages[0]).toMatchObject({
    event_action: 'trigger',
    payload: { severity: 'critical', class: 'escalated', summary: escalated.title },
    links: [{ href: escalated.webUiUrl }],
  });
});
