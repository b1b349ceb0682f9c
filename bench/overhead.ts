/**
 * Overhead benchmark: how much time ripcord itself adds to a rollback.
 *
 * 1. Rollback latency on the dev server: guardians replay a crash (a clear
 *    regression, three intervals in) with a three-step plan (no pauses, no
 *    settle times) against dry-run targets, one worker process. From each
 *    history: the deciding health read's completion → the first step's start
 *    (decision-to-first-step), and one step's end → the next one's start
 *    (step-to-step). Policy waits and health reads in between are left out.
 * 2. The demo's bad-canary story (`ripcord demo --story bad-canary`, real
 *    Prometheus, nginx, releases and webhook), end to end, with its guardian's
 *    history split into policy-imposed waits (durable timers: evaluation
 *    intervals, confirmation, settle), outside systems (rollback steps, health
 *    reads) and ripcord's own overhead (bookkeeping activities, orchestration).
 *    On by default (about 2–3 minutes); --no-demo skips it.
 * 3. Tracing (issue 21): run 1 again with the worker tracing as it does with
 *    OTEL_* set (the OpenTelemetry interceptors, spans exported over OTLP/HTTP
 *    to a receiver in this process), next to run 1, which has no OTEL_* (no
 *    SDK, no interceptor, no exporter); and the cost of the trace-header
 *    lookup every outbound call makes when nothing is traced. --no-tracing skips it.
 *
 *   npm run bench:overhead [-- --guardians 20 --no-demo --no-tracing --no-write]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { connectClient } from '../src/client/connect';
import { listGuardians } from '../src/client/guardians';
import { type DemoReport, runDemo } from '../src/dev/demo';
import { DEMO_WARMUP_SECONDS } from '../src/dev/demo/stories';
import { findFreePort } from '../src/dev/ports';
import { startDevServer } from '../src/dev/temporal-dev-server';
import type { GuardianInput } from '../src/model/guardian';
import {
  benchPolicyDocument,
  type GuardianPlan,
  loadBenchPolicy,
  ROOT,
  startGuardians,
  writeBenchScenario,
} from './lib/scale-guardians';
import { fetchAllRuns, type RunHistory } from './lib/scale-history';
import { describeMachine, loadNow, machineLines } from './lib/scale-machine';
import {
  killChildrenOnExit,
  onInterrupt,
  registerChild,
  startBenchServer,
  stopBenchServer,
  writeWorkflowBundle,
} from './lib/scale-processes';
import {
  formatMs,
  rollbackTiming,
  splitTime,
  type Summary,
  summarize,
  type TimeSplit,
} from './lib/scale-timing';
import { startBenchWorker } from './lib/scale-worker-process';
import { argValue } from './lib/cli-args';
import { traceHeaders } from '../src/tracing/context';

const INTERVAL_SECONDS = 10;
/** Policy seconds per wall second: a 10 s interval waits 1 s, so a rollback comes within seconds. */
const SPEED = 10;
const GOAL_P50_MS = 200;

function seconds(valueMs: number): string {
  return `${(valueMs / 1000).toFixed(1)} s`;
}

async function waitForOutcomes(client: Client, ids: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const id of ids) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Error(`guardians still running after ${timeoutMs / 1000} s`);
    await Promise.race([
      client.workflow.getHandle(id).result(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`${id} still running after ${timeoutMs / 1000} s`)), remaining),
      ),
    ]);
  }
}

interface LatencyResult {
  guardians: number;
  rolledBack: number;
  /** The worker's CPU time (user + system, s) by its last report before it stopped. */
  workerCpuSeconds?: number;
  decisionToFirstStep?: Summary;
  decisionToFirstStepOwn?: Summary;
  firstStepDispatch?: Summary;
  /** Medians over the guardians: what happens between the decision and the first step. */
  between?: { workflowTasks: number; activities: number; children: number };
  stepToStep?: Summary;
  stepToStepRaw?: Summary;
}

/** The plan: three steps a dry run records, no pauses or settle times, so the gaps are ripcord's alone. */
function latencyPolicy() {
  const doc = benchPolicyDocument(INTERVAL_SECONDS);
  const common = {
    timeoutSeconds: 30,
    verify: { targetState: true, settleSeconds: 0, timeoutSeconds: 30 },
  };
  doc.plan.steps = [
    { name: 'drain-canary', type: 'shift-traffic', weights: [0], pauseSeconds: 0, ...common },
    {
      name: 'tell-deploy-system',
      type: 'webhook',
      url: 'https://deploys.example.com/hooks/rollback',
      hmacSecret: '${secret:DEPLOY_HOOK_HMAC}',
      ...common,
    },
    {
      name: 'announce',
      type: 'webhook',
      url: 'https://deploys.example.com/hooks/ripcord',
      hmacSecret: '${secret:DEPLOY_HOOK_HMAC}',
      ...common,
    },
  ];
  // The crash stays in the replayed data after the rollback: recovery is not what is measured here.
  doc.recovery.targets = [];
  return loadBenchPolicy(doc);
}

async function measureLatency(
  count: number,
  dir: string,
  bundlePath: string,
  say: (line: string) => void,
  /** The worker traces, exporting here (OTLP/HTTP base URL); absent: no OTEL_*. */
  otlpEndpoint?: string,
): Promise<LatencyResult> {
  const label = otlpEndpoint ? '[latency, traced]' : '[latency]';
  const server = await startBenchServer();
  const taskQueue = `bench-overhead-${Date.now().toString(36)}`;
  let client: Client | undefined;
  const worker = await startBenchWorker({
    address: server.address,
    namespace: server.namespace,
    taskQueue,
    stateDir: path.join(dir, otlpEndpoint ? 'latency-traced-state' : 'latency-state'),
    bundlePath,
    ...(otlpEndpoint ? { otlpEndpoint } : {}),
    tuning: {
      maxCachedWorkflows: 200,
      maxConcurrentWorkflowTaskExecutions: 40,
      maxConcurrentActivityTaskExecutions: 100,
      maxTaskPolls: 10,
    },
    intervalMs: (INTERVAL_SECONDS * 1000) / SPEED,
    reportEveryMs: 5_000,
  }).catch(async (err: Error) => {
    await stopBenchServer(server);
    throw err;
  });
  registerChild(worker.pid);
  try {
    say(`${label} dev server ${server.address}, worker pid ${worker.pid}; ${count} guardians, one a second`);
    client = await connectClient({
      profileName: 'bench',
      address: server.address,
      namespace: server.namespace,
      taskQueue,
    });
    // crash-00 turns at interval 30: start at 27, so the crash is three intervals in.
    const scenarioFile = writeBenchScenario('crash-00', {
      intervalSeconds: INTERVAL_SECONDS,
      length: 50,
      from: 27,
      file: path.join(dir, 'crash.json'),
    });
    const plan: GuardianPlan = {
      count,
      base: latencyPolicy().policy,
      scenarioFile,
      watchSeconds: 40 * INTERVAL_SECONDS,
      continueAsNewEvery: 500,
      speed: SPEED,
      prefix: 'o',
    };
    const ids = await startGuardians(client, taskQueue, plan, { rampMs: count * 1000, parallel: 4 });
    await waitForOutcomes(client, ids, 180_000);
    const timings = [];
    let rolledBack = 0;
    for (const id of ids) {
      const runs = await fetchAllRuns(client, id);
      const timing = rollbackTiming(runs.flatMap((r) => r.events));
      if (timing) {
        rolledBack += 1;
        timings.push(timing);
      }
    }
    const last = worker.reports.at(-1);
    const result: LatencyResult = {
      guardians: count,
      rolledBack,
      ...(last ? { workerCpuSeconds: (last.cpuUserUs + last.cpuSystemUs) / 1e6 } : {}),
      decisionToFirstStep: summarize(timings.map((t) => t.decisionToFirstStepMs)),
      decisionToFirstStepOwn: summarize(timings.map((t) => t.decisionToFirstStepOwnMs)),
      firstStepDispatch: summarize(timings.map((t) => t.firstStepDispatchMs)),
      ...(timings.length > 0
        ? {
            between: {
              workflowTasks: summarize(timings.map((t) => t.decisionToFirstStepWorkflowTasks))!.p50,
              activities: summarize(timings.map((t) => t.decisionToFirstStepActivities))!.p50,
              children: summarize(timings.map((t) => t.decisionToFirstStepChildren))!.p50,
            },
          }
        : {}),
      stepToStep: summarize(timings.flatMap((t) => t.stepToStepMs)),
      stepToStepRaw: summarize(timings.flatMap((t) => t.stepToStepRawMs)),
    };
    say(
      `${label} ${rolledBack}/${count} rolled back; decision → first step p50 ${formatMs(result.decisionToFirstStep?.p50)} ` +
        `p99 ${formatMs(result.decisionToFirstStep?.p99)}; step → step p50 ${formatMs(result.stepToStep?.p50)} p99 ${formatMs(result.stepToStep?.p99)}`,
    );
    return result;
  } finally {
    await client?.connection.close().catch(() => undefined);
    await worker.stop();
    await stopBenchServer(server);
  }
}

interface DemoResult {
  report: DemoReport;
  wallMs: number;
  deployMs: number;
  onsetMs: number;
  closeMs: number;
  fromDeploy: TimeSplit;
  fromOnset: TimeSplit;
  decisionMs?: number;
  firstStepMs?: number;
}

/** The deploy time the guardian was given (its first run's input), or its start when the input cannot be read. */
function deployedAt(history: { events?: unknown[] | null }, fallbackMs: number): number {
  try {
    const first = history.events?.[0] as {
      workflowExecutionStartedEventAttributes?: { input?: { payloads?: unknown[] } };
    };
    const payload = first.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const input = defaultPayloadConverter.fromPayload<GuardianInput>(
      payload as Parameters<typeof defaultPayloadConverter.fromPayload>[0],
    );
    const at = Date.parse(input.deployment.deployedAt);
    return Number.isNaN(at) ? fallbackMs : at;
  } catch {
    return fallbackMs;
  }
}

async function measureDemo(dir: string, say: (line: string) => void): Promise<DemoResult> {
  const dbFile = path.join(dir, 'demo.db');
  const controller = new AbortController();
  const forget = onInterrupt(async () => {
    controller.abort();
    await running.catch(() => undefined);
  });
  const port = await findFreePort();
  const uiPort = await findFreePort();
  const t0 = Date.now();
  const running = runDemo({
    story: 'bad-canary',
    port,
    uiPort,
    dbFile,
    stateDir: path.join(dir, 'demo'),
    keepRunning: false,
    say: (line) => say(`[demo] ${line}`),
    signal: controller.signal,
  });
  let report: DemoReport;
  try {
    report = await running;
  } finally {
    forget();
  }
  const wallMs = Date.now() - t0;
  if (report.end?.kind !== 'outcome' || report.end.outcome !== report.expected) {
    throw new Error(`the demo did not end as its story should (expected ${report.expected})`);
  }

  // The demo has stopped its stack; its dev server's database still holds the guardian's history.
  say('[demo] reading the guardian history from the demo database…');
  const server = await startDevServer({ port: await findFreePort(), uiPort: await findFreePort(), dbFile });
  registerChild(server.pid);
  try {
    const client = await connectClient({
      profileName: 'bench',
      address: server.address,
      namespace: server.namespace,
      taskQueue: 'unused',
    });
    try {
      const [row] = await listGuardians(client, { deploymentId: report.deploymentId }, 1);
      if (row === undefined) throw new Error(`no guardian for ${report.deploymentId} in the demo database`);
      const runs: RunHistory[] = await fetchAllRuns(client, row.workflowId);
      const raw = await client.workflow.getHandle(row.workflowId, runs[0]?.runId).fetchHistory();
      const events = runs.flatMap((r) => r.events);
      const startMs = optionalTsToMs(raw.events?.[0]?.eventTime) ?? events[0]!.timeMs;
      const deployMs = deployedAt(raw, startMs);
      const onsetMs = deployMs + DEMO_WARMUP_SECONDS * 1000;
      const closeMs = events.at(-1)!.timeMs;
      const timing = rollbackTiming(events);
      const decided = events.find(
        (e) => e.type === 'ActivityTaskScheduled' && e.activityType === 'buildRollbackPlan',
      );
      const firstStep = events.find(
        (e) => e.type === 'ActivityTaskScheduled' && e.activityType === 'executeStep',
      );
      return {
        report,
        wallMs,
        deployMs,
        onsetMs,
        closeMs,
        fromDeploy: splitTime(events, startMs, closeMs),
        fromOnset: splitTime(events, onsetMs, closeMs),
        ...(decided ? { decisionMs: decided.timeMs } : {}),
        ...(firstStep && timing ? { firstStepMs: firstStep.timeMs } : {}),
      };
    } finally {
      await client.connection.close();
    }
  } finally {
    await stopBenchServer(server);
  }
}

/** An OTLP/HTTP receiver (JSON): takes POST /v1/traces and counts what arrives. */
interface OtlpReceiver {
  url: string;
  requests: number;
  spans: number;
  bytes: number;
  close(): Promise<void>;
}

async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const receiver = { requests: 0, spans: 0, bytes: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'POST' && req.url === '/v1/traces') {
        receiver.requests += 1;
        receiver.bytes += body.length;
        try {
          const request = JSON.parse(body.toString('utf8')) as {
            resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[];
          };
          for (const r of request.resourceSpans ?? [])
            for (const s of r.scopeSpans ?? []) receiver.spans += s.spans?.length ?? 0;
        } catch {
          // Counted as a request; its spans unread.
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(receiver, {
    url,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  });
}

/** What every outbound call to a target or receiver pays without OTEL_*: looking for a current span (ns per call). */
function traceHeaderLookupNs(calls: number): number {
  let sink = 0;
  for (let i = 0; i < 100_000; i++) sink += Object.keys(traceHeaders()).length;
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) sink += Object.keys(traceHeaders()).length;
  const ns = Number(process.hrtime.bigint() - start) / calls;
  if (sink !== 0) throw new Error('a trace header without tracing');
  return ns;
}

const TRACE_HEADER_CALLS = 2_000_000;

function tracingRows(label: string, r: LatencyResult): string {
  const a = r.decisionToFirstStep;
  const b = r.stepToStep;
  const cpu = r.workerCpuSeconds !== undefined ? `${r.workerCpuSeconds.toFixed(1)} s` : '–';
  return (
    `| ${label} | ${formatMs(a?.p50)} | ${formatMs(a?.p90)} | ${formatMs(a?.p99)} | ` +
    `${formatMs(b?.p50)} | ${formatMs(b?.p90)} | ${formatMs(b?.p99)} | ${cpu} | ${r.rolledBack}/${r.guardians} |`
  );
}

function splitRows(label: string, split: TimeSplit): string[] {
  const total = Object.values(split).reduce((a, b) => a + b, 0);
  const pct = (v: number) => (total > 0 ? `${((100 * v) / total).toFixed(1)}%` : '–');
  const own = split.bookkeeping + split.orchestration;
  return [
    `| ${label} | ${seconds(total)} | ${seconds(split.policyWaits)} (${pct(split.policyWaits)}) | ` +
      `${seconds(split.steps)} (${pct(split.steps)}) | ${seconds(split.healthReads)} (${pct(split.healthReads)}) | ` +
      `${seconds(split.bookkeeping)} | ${seconds(split.orchestration)} | **${seconds(own)} (${pct(own)})** |`,
  ];
}

async function main(): Promise<void> {
  const say = (line: string) => console.log(line);
  killChildrenOnExit(say);
  const guardians = Number(argValue('--guardians') ?? 20);
  if (!Number.isInteger(guardians) || guardians <= 0)
    throw new Error(`--guardians must be a positive whole number (got ${argValue('--guardians')})`);
  const withDemo = !process.argv.includes('--no-demo');
  const withTracing = !process.argv.includes('--no-tracing');
  const machine = describeMachine();
  say(
    machineLines(machine)
      .map((l) => l.trim())
      .join('\n'),
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ripcord-bench-overhead-'));
  let latency: LatencyResult;
  let traced: { latency: LatencyResult; receiver: OtlpReceiver; lookupNs: number } | undefined;
  let demo: DemoResult | undefined;
  let demoError: string | undefined;
  try {
    say('bundling the workflows…');
    const bundlePath = await writeWorkflowBundle(dir);
    latency = await measureLatency(guardians, dir, bundlePath, say);
    if (withTracing) {
      const lookupNs = traceHeaderLookupNs(TRACE_HEADER_CALLS);
      say(`[tracing] without OTEL_*, the trace-header lookup of an outbound call: ${lookupNs.toFixed(1)} ns`);
      say('[tracing] bundling the workflows with the tracing interceptors…');
      const tracedBundle = await writeWorkflowBundle(dir, { tracing: true });
      const receiver = await startOtlpReceiver();
      try {
        const tracedLatency = await measureLatency(guardians, dir, tracedBundle, say, receiver.url);
        traced = { latency: tracedLatency, receiver, lookupNs };
        say(`[tracing] the receiver got ${receiver.spans} spans in ${receiver.requests} requests`);
      } finally {
        await receiver.close();
      }
    }
    if (withDemo) {
      say('[demo] running `ripcord demo --story bad-canary` (about 2–3 minutes)…');
      try {
        demo = await measureDemo(dir, say);
      } catch (err) {
        demoError = (err as Error).message.split('\n')[0];
        say(`[demo] FAILED: ${demoError}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const command = `npm run bench:overhead${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const goal =
    latency.decisionToFirstStep && latency.stepToStep
      ? latency.decisionToFirstStep.p50 < GOAL_P50_MS && latency.stepToStep.p50 < GOAL_P50_MS
        ? 'met'
        : 'NOT met'
      : 'not measured';
  const lines = [
    '# Overhead benchmark',
    '',
    `Command: \`${command}\`  `,
    ...machineLines(machine),
    `Load average at the end: ${loadNow()}  `,
    '',
    '## Decision to first step, step to step (dev server, dry-run targets)',
    '',
    `${latency.guardians} guardians, started one a second on an in-memory dev server with one worker process, replay ` +
      `\`test/fixtures/scenarios/shared/crash-00.json\` from three intervals before its crash (${INTERVAL_SECONDS} s interval, time compressed ${SPEED}×), ` +
      'policy `policies/examples/canary.yaml` with a three-step plan (shift-traffic to 0, two webhooks; no pauses, no settle times) ' +
      `recorded by the dry-run target. ${latency.rolledBack} of them rolled back. Times from each guardian's history (server event times).`,
    '',
    '| | p50 | p90 | p99 | max | n |',
    '|---|---|---|---|---|---|',
    ...(
      [
        ['decision → first step starts', latency.decisionToFirstStep],
        ['  of which ripcord (waits and health reads left out)', latency.decisionToFirstStepOwn],
        [
          '  of which the first step waiting to be dispatched (scheduled → started)',
          latency.firstStepDispatch,
        ],
        ['step done → next step starts (waits left out)', latency.stepToStep],
        ['step done → next step starts (as is)', latency.stepToStepRaw],
      ] as const
    ).map(
      ([label, s]) =>
        `| ${label} | ${formatMs(s?.p50)} | ${formatMs(s?.p90)} | ${formatMs(s?.p99)} | ${formatMs(s?.max)} | ${s?.count ?? 0} |`,
    ),
    '',
    `Goal (p50 under ${GOAL_P50_MS} ms): ${goal}. Decision = the completion of the health read whose verdict decided. ` +
      (latency.between
        ? `Between it and the first step (medians): ${latency.between.workflowTasks} workflow tasks, ` +
          `${latency.between.activities} activities (the decision and the plan recorded in the audit trail, the plan built, notifications)` +
          (latency.between.children > 0 ? `, ${latency.between.children} child workflow(s)` : '') +
          `; each workflow task is a round trip through the server, about ${formatMs((latency.decisionToFirstStepOwn?.p50 ?? 0) / Math.max(1, latency.between.workflowTasks))} apiece here. `
        : '') +
      'Between two steps the guardian records the step in the audit trail and schedules the next.',
    '',
  ];
  if (traced) {
    const { receiver } = traced;
    lines.push(
      '## Tracing: no `OTEL_*` against OTLP to a local receiver',
      '',
      'The run above, and the same run again on a fresh dev server with its worker tracing as `ripcord worker` does with ' +
        '`OTEL_EXPORTER_OTLP_ENDPOINT` set: the Temporal OpenTelemetry interceptors on workflows and activities, spans batched and ' +
        `exported over OTLP/HTTP (JSON) to a receiver in the benchmark's process, which got ${receiver.spans} spans in ` +
        `${receiver.requests} requests (${(receiver.bytes / 1024).toFixed(0)} KiB). The client that starts the guardians ` +
        'does not trace in either run (it only starts them). Worker CPU: user + system by its last report before it stopped.',
      '',
      '| worker | decision → first step p50 | p90 | p99 | step → next step p50 | p90 | p99 | worker CPU | rolled back |',
      '|---|---|---|---|---|---|---|---|---|',
      tracingRows('no `OTEL_*` (as shipped; the run above)', latency),
      tracingRows('OTLP/HTTP to a local receiver', traced.latency),
      '',
      'Without `OTEL_*` nothing of OpenTelemetry is loaded but its API, no interceptor is installed and no exporter is ' +
        'created; what every outbound call to a target or a receiver still does is look for a current span: ' +
        `${traced.lookupNs.toFixed(1)} ns per call here (${TRACE_HEADER_CALLS.toLocaleString('en-US')} calls).`,
      '',
    );
  } else {
    lines.push('## Tracing', '', 'Not run (--no-tracing).', '');
  }
  if (demo) {
    const { report } = demo;
    lines.push(
      '## The demo: bad canary, end to end',
      '',
      `\`ripcord demo --story bad-canary\` run inside the benchmark (real dev server, Prometheus, nginx, releases, webhook), ${seconds(demo.wallMs)} ` +
        `from start to its stack stopped. 2.0.0 turns bad ${DEMO_WARMUP_SECONDS} s after the deploy (the story's warm-up).`,
      '',
      "The demo's own timeline:",
      '',
      '```',
      ...report.timeline,
      '```',
      '',
      `Deploy → recovery verified: ${seconds(demo.closeMs - demo.deployMs)}; onset → recovery verified: ${seconds(demo.closeMs - demo.onsetMs)}` +
        (demo.decisionMs !== undefined
          ? `; onset → decision: ${seconds(demo.decisionMs - demo.onsetMs)}`
          : '') +
        (demo.decisionMs !== undefined && demo.firstStepMs !== undefined
          ? `; decision → first step scheduled: ${formatMs(demo.firstStepMs - demo.decisionMs)}`
          : '') +
        '.',
      '',
      "Where the guardian's time went (from its history; when several things run at once, the first column that applies wins):",
      '',
      "| stretch | total | policy waits (timers: intervals, confirmation, settle) | rollback steps (nginx, release, webhook) | health reads (Prometheus) | ripcord bookkeeping activities | orchestration (workflow tasks, dispatch) | ripcord's own overhead |",
      '|---|---|---|---|---|---|---|---|',
      ...splitRows('guardian start → close', demo.fromDeploy),
      ...splitRows('onset → close', demo.fromOnset),
      '',
      'Policy waits are what the policy asks for: an evaluation every 3 s, a breach confirmed on fresh data over the ' +
        '12 s confirmation window, 3 s settle after draining the canary, a recovery check one interval later. ' +
        'Rollback steps are the targets doing their work (nginx reloads, the canary host restarting on the signed release, ' +
        "the deploy system answering). ripcord's own overhead is everything else.",
      '',
    );
  } else {
    lines.push('## The demo', '', withDemo ? `Failed: ${demoError}` : 'Not run (--no-demo).', '');
  }
  const text = lines.join('\n');
  say('');
  say(text);
  if (!process.argv.includes('--no-write')) {
    const out = path.join(ROOT, 'bench', 'results', 'overhead.md');
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, text);
    say(`written to ${path.relative(process.cwd(), out)}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
