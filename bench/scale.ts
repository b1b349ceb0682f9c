/**
 * Scale benchmark: how many guardians one worker carries. For each level
 * (default 100, 500, 1,000 and 2,000 concurrent guardians) a fresh in-memory
 * Temporal dev server and ONE worker process; the guardians replay a healthy
 * scenario at a 10 s interval with dry-run targets, started evenly over a ramp
 * so that their evaluations do not all fall due at once. After the ramp and a
 * settle time, a steady window is measured:
 *
 *   - evaluation lag (worker side, every read): start − (previous read's end + interval);
 *   - the same from a sample of histories, split into timer, workflow task and activity queue;
 *   - worker CPU (process.cpuUsage of the worker process) and peak RSS, dev server CPU;
 *   - history events per guardian-hour (events of the sampled histories inside the window);
 *   - continue-as-new count.
 *
 *   npm run bench:scale [-- --levels 100,500 --minutes 1 --continue-every 18 --aligned --no-write]
 *
 * Prints progress and a table; writes bench/results/scale.md (unless --no-write).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { connectClient } from '../src/client/connect';
import type { DevServer } from '../src/dev/temporal-dev-server';
import {
  benchPolicyDocument,
  type GuardianPlan,
  loadBenchPolicy,
  ROOT,
  startGuardians,
  writeBenchScenario,
} from './lib/scale-guardians';
import { fetchAllRuns } from './lib/scale-history';
import { describeMachine, loadNow, machineLines, processCpuSeconds } from './lib/scale-machine';
import {
  killChildrenOnExit,
  registerChild,
  startBenchServer,
  stopBenchServer,
  writeWorkflowBundle,
} from './lib/scale-processes';
import { evaluationTimings, formatMs, type Summary, summarize } from './lib/scale-timing';
import { type BenchWorker, startBenchWorker, type WorkerStats } from './lib/scale-worker-process';
import type { BenchWorkerTuning } from './lib/scale-worker-protocol';
import { argValue } from './lib/cli-args';

const INTERVAL_SECONDS = 10;
const GOAL_GUARDIANS = 1000;
const GOAL_P99_MS = 2000;

function numberFlag(name: string, fallback: number): number {
  const raw = argValue(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number (got ${raw})`);
  return value;
}

interface Flags {
  levels: number[];
  minutes: number;
  continueEvery: number;
  aligned: boolean;
  startRate: number;
  settleSeconds: number;
  historySample: number;
  tuning: (level: number) => BenchWorkerTuning;
  write: boolean;
}

function parseFlags(): Flags {
  const levels = (argValue('--levels') ?? '100,500,1000,2000').split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--levels: "${s}" is not a positive whole number`);
    return n;
  });
  const wftSlots = numberFlag('--wft-slots', 40);
  const activitySlots = numberFlag('--activity-slots', 100);
  const polls = numberFlag('--polls', 10);
  const cached = argValue('--max-cached');
  return {
    levels,
    minutes: numberFlag('--minutes', 3),
    // Production continues as new every 500 evaluations (83 min at 10 s); the benchmark lowers it so
    // that every guardian does it inside the window and its cost is part of what is measured.
    continueEvery: numberFlag('--continue-every', 18),
    aligned: process.argv.includes('--aligned'),
    startRate: numberFlag('--start-rate', 50),
    settleSeconds: numberFlag('--settle', 30),
    historySample: numberFlag('--history-sample', 40),
    // Every guardian stays in the worker's cache (a cache miss replays the whole history).
    tuning: (level) => ({
      maxCachedWorkflows: cached ? Number(cached) : Math.max(100, Math.ceil(level * 1.2)),
      maxConcurrentWorkflowTaskExecutions: wftSlots,
      maxConcurrentActivityTaskExecutions: activitySlots,
      maxTaskPolls: polls,
    }),
    write: !process.argv.includes('--no-write'),
  };
}

function clock(sinceMs: number): string {
  const s = Math.max(0, Math.round((Date.now() - sinceMs) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

interface LevelResult {
  guardians: number;
  tuning: BenchWorkerTuning;
  rampSeconds: number;
  windowSeconds: number;
  evaluations: number;
  expectedEvaluations: number;
  lag?: Summary;
  queue?: Summary;
  historyLag?: Summary;
  timerLate?: Summary;
  workflowTask?: Summary;
  activityQueue?: Summary;
  historySampled: number;
  workerCpuPct: number;
  workerPeakRssMiB: number;
  workerHeapLimitMiB: number;
  loopDelayP99Ms: number;
  serverCpuPct: number | undefined;
  eventsPerGuardianHour: number | undefined;
  /** Workflow tasks that timed out (sticky queue not served in time, then a history replay), per sampled guardian-hour. */
  taskTimeoutsPerGuardianHour: number | undefined;
  continuedAsNew: number;
  closedEarly: number;
  loadDuring: string;
  startFailures: number;
  error?: string;
}

function reportsBetween(reports: WorkerStats[], from: number, to: number): WorkerStats[] {
  return reports.filter((r) => r.atMs >= from && r.atMs <= to);
}

async function historyStats(
  client: Client,
  ids: string[],
  sample: number,
  windowStart: number,
  windowEnd: number,
): Promise<
  Pick<
    LevelResult,
    | 'historyLag'
    | 'timerLate'
    | 'workflowTask'
    | 'activityQueue'
    | 'historySampled'
    | 'eventsPerGuardianHour'
    | 'taskTimeoutsPerGuardianHour'
  >
> {
  const step = Math.max(1, Math.floor(ids.length / sample));
  const picked = ids.filter((_, i) => i % step === 0).slice(0, sample);
  const timings = [];
  let eventsInWindow = 0;
  let timeoutsInWindow = 0;
  for (const id of picked) {
    for (const run of await fetchAllRuns(client, id)) {
      const inWindow = run.events.filter((e) => e.timeMs >= windowStart && e.timeMs < windowEnd);
      // Real history events only: a local activity's marker is also told as synthetic activity events (negative ids).
      eventsInWindow += inWindow.filter((e) => e.id > 0).length;
      timeoutsInWindow += inWindow.filter((e) => e.type === 'WorkflowTaskTimedOut').length;
      timings.push(
        ...evaluationTimings(run.events).filter(
          (t) => t.intendedMs >= windowStart && t.intendedMs < windowEnd,
        ),
      );
    }
  }
  const hours = (windowEnd - windowStart) / 3_600_000;
  return {
    historyLag: summarize(timings.map((t) => t.lagMs)),
    timerLate: summarize(timings.map((t) => t.timerLateMs)),
    workflowTask: summarize(timings.map((t) => t.workflowTaskMs)),
    activityQueue: summarize(timings.map((t) => t.activityQueueMs)),
    historySampled: picked.length,
    eventsPerGuardianHour: picked.length > 0 ? eventsInWindow / (picked.length * hours) : undefined,
    taskTimeoutsPerGuardianHour: picked.length > 0 ? timeoutsInWindow / (picked.length * hours) : undefined,
  };
}

async function runLevel(
  level: number,
  flags: Flags,
  bundlePath: string,
  dir: string,
  say: (line: string) => void,
): Promise<LevelResult> {
  const tuning = flags.tuning(level);
  const intervalMs = INTERVAL_SECONDS * 1000;
  // Spread over whole intervals, so that due times are even across the interval.
  const rampMs = flags.aligned
    ? 0
    : Math.max(1, Math.ceil(level / flags.startRate / INTERVAL_SECONDS)) * intervalMs;
  const windowMs = flags.minutes * 60_000;
  const watchSeconds = Math.ceil((rampMs + flags.settleSeconds * 1000 + windowMs) / 1000) + 900;
  const levelDir = path.join(dir, `level-${level}`);
  await mkdir(levelDir, { recursive: true });
  const doc = benchPolicyDocument(INTERVAL_SECONDS);
  const base = loadBenchPolicy(doc).policy;
  const scenarioFile = writeBenchScenario('healthy-00', {
    intervalSeconds: INTERVAL_SECONDS,
    length: Math.ceil(watchSeconds / INTERVAL_SECONDS) + 10,
    file: path.join(levelDir, 'scenario.json'),
  });

  say(`[${level}] starting an in-memory Temporal dev server…`);
  const server: DevServer = await startBenchServer();
  let worker: BenchWorker | undefined;
  let client: Client | undefined;
  try {
    const taskQueue = `bench-scale-${level}-${Date.now().toString(36)}`;
    worker = await startBenchWorker({
      address: server.address,
      namespace: server.namespace,
      taskQueue,
      stateDir: path.join(levelDir, 'state'),
      bundlePath,
      tuning,
      intervalMs,
      reportEveryMs: 2_000,
    });
    registerChild(worker.pid);
    say(
      `[${level}] dev server ${server.address} (pid ${server.pid}), worker pid ${worker.pid} ` +
        `(maxCachedWorkflows ${tuning.maxCachedWorkflows}, workflow task slots ${tuning.maxConcurrentWorkflowTaskExecutions}, ` +
        `activity slots ${tuning.maxConcurrentActivityTaskExecutions}, pollers ${tuning.maxTaskPolls}, heap limit ${Math.round(worker.heapLimitMiB)} MiB)`,
    );
    client = await connectClient({
      profileName: 'bench',
      address: server.address,
      namespace: server.namespace,
      taskQueue,
    });
    const plan: GuardianPlan = {
      count: level,
      base,
      scenarioFile,
      watchSeconds,
      continueAsNewEvery: flags.continueEvery,
      prefix: `s${level}`,
    };

    const t0 = Date.now();
    let started = 0;
    let lastProgress = 0;
    const recent: WorkerStats[] = [];
    const progress = (phase: string) => {
      const last = worker!.reports.at(-1);
      const window = recent.splice(0);
      const lag = summarize(window.flatMap((r) => r.samples.map((s) => s.lagMs)));
      const first = window[0];
      const cpu =
        first && last && last.atMs > first.atMs
          ? (100 * (last.cpuUserUs + last.cpuSystemUs - first.cpuUserUs - first.cpuSystemUs)) /
            1000 /
            (last.atMs - first.atMs)
          : undefined;
      const evalsPerSecond =
        window.reduce((n, r) => n + r.samples.length, 0) / Math.max(1, window.length * 2);
      say(
        `[${level}] ${clock(t0)} ${phase.padEnd(7)} started ${started}/${level}  ` +
          `reads/s ${evalsPerSecond.toFixed(1)} (due ${(started / INTERVAL_SECONDS).toFixed(1)})  ` +
          `lag p50 ${formatMs(lag?.p50)} p99 ${formatMs(lag?.p99)}  worker CPU ${cpu === undefined ? '–' : `${Math.round(cpu)}%`}  ` +
          `RSS ${last ? Math.round(last.rssMiB) : '–'} MiB  cached ${last?.cachedWorkflows ?? '–'}  load ${loadNow()}`,
      );
    };
    worker.onReport = (stats) => {
      recent.push(stats);
    };
    let windowStartGuess = t0 + rampMs + flags.settleSeconds * 1000;
    const ticker = setInterval(() => {
      if (Date.now() - lastProgress >= 10_000) {
        lastProgress = Date.now();
        progress(Date.now() < windowStartGuess ? 'ramp' : 'steady');
      }
    }, 1_000);

    let startFailures = 0;
    let ids: string[] = [];
    try {
      ids = await startGuardians(client, taskQueue, plan, {
        rampMs,
        onStarted: (n) => (started = n),
      });
    } catch (err) {
      startFailures += 1;
      throw new Error(`starting guardians failed after ${started}: ${(err as Error).message}`);
    }
    const rampEnd = Date.now();
    const windowStart = Math.max(rampEnd, t0 + rampMs) + flags.settleSeconds * 1000;
    windowStartGuess = windowStart;
    const windowEnd = windowStart + windowMs;
    say(
      `[${level}] all ${level} guardians started in ${((rampEnd - t0) / 1000).toFixed(1)} s; ` +
        `settling ${flags.settleSeconds} s, then measuring ${flags.minutes} min`,
    );
    await new Promise((r) => setTimeout(r, windowStart - Date.now()));
    const serverCpuStart = processCpuSeconds(server.pid);
    const loads: number[] = [os.loadavg()[0]!];
    const loadTimer = setInterval(() => loads.push(os.loadavg()[0]!), 15_000);
    await new Promise((r) => setTimeout(r, windowEnd - Date.now() + 2_500)); // one more report past the end
    clearInterval(loadTimer);
    const serverCpuEnd = processCpuSeconds(server.pid);
    clearInterval(ticker);

    const inWindow = reportsBetween(worker.reports, windowStart, windowEnd + 2_500);
    const before = worker.reports.filter((r) => r.atMs < windowStart).at(-1) ?? inWindow[0];
    const after = inWindow.at(-1);
    const samples = inWindow
      .flatMap((r) => r.samples)
      .filter((s) => s.atMs >= windowStart && s.atMs < windowEnd);
    const cpuPct =
      before && after && after.atMs > before.atMs
        ? (100 * (after.cpuUserUs + after.cpuSystemUs - before.cpuUserUs - before.cpuSystemUs)) /
          1000 /
          (after.atMs - before.atMs)
        : NaN;
    say(
      `[${level}] window over; reading ${Math.min(flags.historySample, ids.length)} histories and counting runs…`,
    );
    const history = await historyStats(client, ids, flags.historySample, windowStart, windowEnd);
    const continuedAsNew = (
      await client.workflow.count(`TaskQueue = '${taskQueue}' AND ExecutionStatus = 'ContinuedAsNew'`)
    ).count;
    const closedEarly = (
      await client.workflow.count(
        `TaskQueue = '${taskQueue}' AND ExecutionStatus != 'Running' AND ExecutionStatus != 'ContinuedAsNew'`,
      )
    ).count;
    return {
      guardians: level,
      tuning,
      rampSeconds: rampMs / 1000,
      windowSeconds: windowMs / 1000,
      evaluations: samples.length,
      expectedEvaluations: Math.round((level * windowMs) / intervalMs),
      lag: summarize(samples.map((s) => s.lagMs)),
      queue: summarize(samples.map((s) => s.queueMs)),
      ...history,
      workerCpuPct: cpuPct,
      workerPeakRssMiB: Math.max(0, ...worker.reports.map((r) => r.peakRssMiB)),
      workerHeapLimitMiB: worker.heapLimitMiB,
      loopDelayP99Ms: Math.max(0, ...inWindow.map((r) => r.loopDelayP99Ms)),
      serverCpuPct:
        serverCpuStart !== undefined && serverCpuEnd !== undefined
          ? (100 * (serverCpuEnd - serverCpuStart)) / (windowMs / 1000 + 2.5)
          : undefined,
      continuedAsNew,
      closedEarly,
      loadDuring: `${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}`,
      startFailures,
    };
  } finally {
    await client?.connection.close().catch(() => undefined);
    await worker?.stop();
    await stopBenchServer(server);
  }
}

function resultTable(results: LevelResult[]): string[] {
  const lines = [
    '| guardians | reads in window (due) | lag p50 | lag p99 | lag max | history lag p99: timer / workflow task / activity queue | worker CPU (of 1 core) | worker peak RSS | worker event-loop delay p99 | dev server CPU | history events per guardian-hour | workflow task timeouts per guardian-hour | continue-as-new | load (1 min) during window |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    if (r.error) {
      lines.push(`| ${r.guardians} | failed: ${r.error.replaceAll('|', '/')} | | | | | | | | | | | | |`);
      continue;
    }
    lines.push(
      `| ${r.guardians} | ${r.evaluations} (${r.expectedEvaluations}) | ${formatMs(r.lag?.p50)} | ${formatMs(r.lag?.p99)} | ${formatMs(r.lag?.max)} | ` +
        `${formatMs(r.historyLag?.p99)}: ${formatMs(r.timerLate?.p99)} / ${formatMs(r.workflowTask?.p99)} / ${formatMs(r.activityQueue?.p99)} | ` +
        `${Math.round(r.workerCpuPct)}% | ${Math.round(r.workerPeakRssMiB)} MiB | ${formatMs(r.loopDelayP99Ms)} | ` +
        `${r.serverCpuPct === undefined ? '–' : `${Math.round(r.serverCpuPct)}%`} | ` +
        `${r.eventsPerGuardianHour === undefined ? '–' : Math.round(r.eventsPerGuardianHour)} | ` +
        `${r.taskTimeoutsPerGuardianHour === undefined ? '–' : r.taskTimeoutsPerGuardianHour.toFixed(1)} | ${r.continuedAsNew} | ${r.loadDuring} |`,
    );
  }
  return lines;
}

/** Facts read off the table: the goal, and the first level that misses it. */
function reading(results: LevelResult[]): string[] {
  const ok = (r: LevelResult) =>
    !r.error &&
    r.lag !== undefined &&
    r.lag.p99 < GOAL_P99_MS &&
    r.evaluations >= 0.95 * r.expectedEvaluations;
  const lines: string[] = [];
  const goal = results.find((r) => r.guardians === GOAL_GUARDIANS);
  if (goal) {
    lines.push(
      `- Goal (${GOAL_GUARDIANS} guardians, p99 lag < ${GOAL_P99_MS / 1000} s): ${ok(goal) ? 'met' : 'NOT met'} ` +
        `(p99 ${formatMs(goal.lag?.p99)}, ${goal.evaluations} of ${goal.expectedEvaluations} reads due).`,
    );
  }
  const bent = results.find((r) => !ok(r));
  if (bent) {
    lines.push(
      `- First level over the line: ${bent.guardians} guardians — ` +
        (bent.error
          ? bent.error
          : `p99 ${formatMs(bent.lag?.p99)}, ${bent.evaluations} of ${bent.expectedEvaluations} reads due, worker ${Math.round(bent.workerCpuPct)}% and dev server ${bent.serverCpuPct === undefined ? '?' : Math.round(bent.serverCpuPct)}% of one core (the machine has ${os.cpus().length}).`),
    );
  } else {
    lines.push('- Every level measured stayed under the line.');
  }
  return lines;
}

async function main(): Promise<void> {
  const flags = parseFlags();
  const say = (line: string) => console.log(line);
  killChildrenOnExit(say);
  const machine = describeMachine();
  say(
    machineLines(machine)
      .map((l) => l.trim())
      .join('\n'),
  );
  say(
    `levels ${flags.levels.join(', ')}; ${flags.minutes} min measured per level after a ramp (${flags.startRate} starts/s) ` +
      `and ${flags.settleSeconds} s to settle; ${INTERVAL_SECONDS} s interval; continue-as-new every ${flags.continueEvery} evaluations` +
      (flags.aligned ? '; all guardians started at once (aligned)' : ''),
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ripcord-bench-scale-'));
  const results: LevelResult[] = [];
  try {
    say('bundling the workflows once for every worker…');
    const bundlePath = await writeWorkflowBundle(dir);
    for (const level of flags.levels) {
      try {
        results.push(await runLevel(level, flags, bundlePath, dir, say));
      } catch (err) {
        const message = (err as Error).message.split('\n').slice(0, 3).join(' ').trim() || 'failed';
        say(`[${level}] FAILED: ${message}`);
        results.push({ guardians: level, error: message } as LevelResult);
      }
      say(resultTable(results).at(-1)!);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const command = `npm run bench:scale${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const t = results.find((r) => !r.error)?.tuning;
  const report = [
    '# Scale benchmark',
    '',
    `Command: \`${command}\`  `,
    ...machineLines(machine),
    `Load average at the end: ${loadNow()}  `,
    '',
    `Each level: a fresh in-memory Temporal dev server and ONE worker process (the real guardian workflow and activities, ` +
      `dry run: replayed health from \`test/fixtures/scenarios/shared/healthy-00.json\` at a ${INTERVAL_SECONDS} s interval, recording targets, JSONL audit trail). ` +
      `Guardians use \`policies/examples/canary.yaml\` (one service each, so none supersedes another) and are started ` +
      (flags.aligned
        ? 'all at once (aligned)'
        : `evenly over a ramp of whole intervals at ${flags.startRate} starts/s, so their reads fall due evenly`) +
      `; after the ramp and ${flags.settleSeconds} s to settle, ${flags.minutes} min are measured. ` +
      `Continue-as-new every ${flags.continueEvery} evaluations (production default 500, i.e. every 83 min at 10 s), so every guardian does it inside the window.`,
    '',
    t
      ? `Worker options: maxCachedWorkflows = max(100, 1.2 × guardians) (every guardian stays cached), ` +
        `maxConcurrentWorkflowTaskExecutions ${t.maxConcurrentWorkflowTaskExecutions}, maxConcurrentActivityTaskExecutions ${t.maxConcurrentActivityTaskExecutions}, ` +
        `${t.maxTaskPolls} pollers per kind, reuseV8Context (default, one workflow thread), Node heap limit ${Math.round(results.find((r) => !r.error)!.workerHeapLimitMiB)} MiB.`
      : '',
    '',
    ...resultTable(results),
    '',
    '- Lag (worker side, every read in the window): the read started − (the previous read of the same guardian ended + 10 s). ' +
      'The guardian waits one interval after each evaluation (a durable timer), so this is the delay a person sees in the cadence; ' +
      'it includes the result going back to the workflow and the workflow task that starts the next timer.',
    `- History lag (a sample of ${results.find((r) => !r.error)?.historySampled ?? 0} guardians per level): ActivityTaskStarted − (TimerStarted + 10 s), ` +
      'split into the timer firing late, the workflow task that schedules the read, and the read waiting for an activity slot. ' +
      'Guardians read health in a local activity (it starts inside the workflow task that asks for it, so it never queues): ' +
      'its start is the time its marker records.',
    '- CPU: percent of one core over the window (the machine has ' +
      `${machine.cores}` +
      ' cores); the dev server (SQLite, in memory) runs on the same machine.',
    '- History events per guardian-hour: events of the sampled guardians inside the window, all runs, per guardian per hour.',
    '- Workflow task timeouts: WorkflowTaskTimedOut events of the sampled guardians in the window. A workflow task waits at most 10 s ' +
      "on the worker's sticky queue; after that Temporal hands it to any poller and the worker replays the guardian's history to run it.",
    '',
    '## Reading',
    '',
    ...reading(results),
    '',
  ].join('\n');
  say('');
  say(resultTable(results).join('\n'));
  say(reading(results).join('\n'));
  if (flags.write) {
    const out = path.join(ROOT, 'bench', 'results', 'scale.md');
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, report);
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
