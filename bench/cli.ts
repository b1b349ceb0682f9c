/**
 * CLI startup benchmark (issue 18): how long a `ripcord` command takes, next
 * to a bare `node -e 0`, in wall time and CPU time.
 *
 *   node -e 0
 *   ripcord --help
 *   ripcord policy validate policies/examples/canary.yaml
 *   ripcord status <deployment-id>   against a dev server, a worker and a running guardian
 *
 * and, to read them by, two floors: node loading only the dependencies that
 * `policy validate` (zod, yaml) and `status` (those and the Temporal client)
 * cannot do without.
 *
 * The benchmark starts the dev server (in memory, free ports), a --dry-run
 * worker and one guardian (`ripcord guard --replay`, a healthy scenario
 * replayed slowly so that it is still watching while status is measured).
 * Each command runs N times, round-robin so that background load spreads over
 * all of them alike, after one warm-up round. ripcord runs as `node
 * bin/ripcord.js` (what `npx ripcord` starts, without npx's own startup), from
 * dist/: the benchmark compiles first when src/ is newer, and takes a sample
 * again when src/ changed while it ran (someone editing the checkout).
 *
 *   npm run bench:cli [-- --runs 10 --no-write --bin other/bin/ripcord.js
 *                        --policy <file> --scenario <file>]
 *
 * --bin measures another checkout's CLI (e.g. an older commit, for before and
 * after) with this checkout's server and worker.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPolicyFile } from '../src/policy';
import { argValue } from './lib/cli-args';
import { writeResults, runBenchmark } from './lib/report-file';
import { describeMachine, loadNow, machineLines } from './lib/scale-machine';
import { killChildrenOnExit, registerChild, startBenchServer, stopBenchServer } from './lib/scale-processes';
import { summarize } from './lib/scale-timing';
import { timeCommand, type TimedRun } from './lib/time-command';

const ROOT = path.resolve(__dirname, '..');
const OWN_BIN = path.join(ROOT, 'bin', 'ripcord.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { distIsCurrent } = require('../scripts/build-stamp') as { distIsCurrent(): boolean };

const say = (line: string) => process.stdout.write(`${line}\n`);

interface Measured {
  label: string;
  argv: string[];
  /** Within this many times `node -e 0` (the issue's goal), if it has one. */
  goal?: number;
  runs: TimedRun[];
}

let rebuilds = 0;

function build(): void {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.js')], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm run build failed: ${result.stderr}`);
}

/**
 * One sample. This checkout's CLI runs its sources through tsx whenever src/
 * is newer than dist/: compile first, and take the sample again if src/
 * changed while it ran, so that every sample measures the compiled CLI.
 */
function sample(entry: Measured, env: NodeJS.ProcessEnv, ownCli: boolean): TimedRun {
  for (let attempt = 1; ; attempt++) {
    if (ownCli && !distIsCurrent()) {
      build();
      rebuilds += 1;
    }
    const run = timeCommand(entry.argv, { env, cwd: ROOT });
    if (!ownCli || distIsCurrent() || attempt >= 5) return run;
  }
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within ${timeoutMs / 1000} s:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`exited with ${code} before ${pattern}:\n${output}`)));
  });
}

function ripcordSync(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [OWN_BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
}

async function main(): Promise<void> {
  const runs = Number(argValue('--runs') ?? 10);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a whole number above 0');
  const bin = path.resolve(argValue('--bin') ?? OWN_BIN);
  const ownCli = bin === OWN_BIN;
  // The policy validated and guarded, and the guardian's scenario: any pair that agrees on its series.
  const policyFile = path.resolve(
    argValue('--policy') ?? path.join(ROOT, 'policies', 'examples', 'canary.yaml'),
  );
  const scenarioFile = path.resolve(
    argValue('--scenario') ??
      path.join(ROOT, 'test', 'fixtures', 'scenarios', 'shared-histogram', 'low-traffic-healthy-01.json'),
  );
  const write = !process.argv.includes('--no-write');
  const machine = describeMachine();
  killChildrenOnExit(say);
  if (ownCli && !distIsCurrent()) {
    say('compiling src/ to dist/ first (src/ is newer than the build)');
    build();
  }

  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'ripcord-bench-cli-'));
  say('starting the dev server…');
  const server = await startBenchServer();
  // The default profile (local), pointed at this server; the guardian's task queue is the profile's.
  const env: NodeJS.ProcessEnv = { RIPCORD_PROFILE: '', TEMPORAL_ADDRESS: server.address };
  let worker: ChildProcess | undefined;
  try {
    say(`dev server on ${server.address}; starting a --dry-run worker…`);
    worker = spawn(process.execPath, [OWN_BIN, 'worker', '--dry-run', '--state-dir', stateDir], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    registerChild(worker.pid ?? -1);
    await waitForLine(worker, /ripcord worker running/, 180_000);

    const { policy } = await loadPolicyFile(policyFile);
    const deploymentId = `cli-bench-${Date.now().toString(36)}`;
    // Slowed down (six seconds of wall time per interval) so that it is still watching at the end.
    const guard = ripcordSync(
      [
        'guard',
        ...[
          '--policy',
          policyFile,
          '--service',
          policy.metadata.service,
          '--env',
          policy.metadata.environment,
        ],
        ...['--version', '2.0.0', '--previous', '1.9.0', '--deployment-id', deploymentId],
        ...['--replay', scenarioFile, '--speed', String(policy.evaluation.intervalSeconds / 6)],
      ],
      env,
    );
    if (guard.status !== 0) throw new Error(`guard failed (${guard.status}): ${guard.stderr}${guard.stdout}`);
    say(guard.stdout.trim().split('\n')[0] ?? '');
    // Measured once the guardian answers: its worker has run its first workflow task.
    const deadline = Date.now() + 120_000;
    while (ripcordSync(['status', deploymentId], env).status !== 0) {
      if (Date.now() > deadline) throw new Error(`status ${deploymentId} did not succeed within 120 s`);
      await new Promise((r) => setTimeout(r, 500));
    }

    const ripcord = (...args: string[]) => [process.execPath, bin, ...args];
    const floor = (code: string): Measured => ({
      label: `node -e "${code}"`,
      argv: [process.execPath, '-e', code],
      runs: [],
    });
    const measured: Measured[] = [
      { label: 'node -e 0', argv: [process.execPath, '-e', '0'], runs: [] },
      { label: 'ripcord --help', argv: ripcord('--help'), goal: 4, runs: [] },
      {
        label: `ripcord policy validate ${path.relative(ROOT, policyFile)}`,
        argv: ripcord('policy', 'validate', policyFile),
        goal: 4,
        runs: [],
      },
      { label: `ripcord status ${deploymentId}`, argv: ripcord('status', deploymentId), goal: 8, runs: [] },
      // Floors: what the dependencies cost to load with nothing else (policies are YAML checked by zod;
      // status needs the Temporal client and reads the connection profile, YAML checked by zod).
      floor("require('zod'); require('yaml')"),
      floor("require('zod'); require('yaml'); require('@temporalio/client')"),
    ];
    say(`measuring ${runs} runs of each, round-robin, after one warm-up round…`);
    for (let round = 0; round <= runs; round++) {
      for (const entry of measured) {
        const run = sample(entry, env, ownCli);
        if (run.code !== 0) throw new Error(`${entry.label} exited ${run.code}: ${run.stderr}`);
        if (round > 0) entry.runs.push(run);
      }
    }
    const stillWatching = /phase\s+watch/.test(ripcordSync(['status', deploymentId], env).stdout);

    const report = formatReport({
      measured,
      runs,
      machineLines: machineLines(machine),
      bin: path.relative(ROOT, bin) || bin,
      ownCli,
      stillWatching,
      guardian: `--policy ${path.relative(ROOT, policyFile)} --replay ${path.relative(ROOT, scenarioFile)}`,
    });
    if (write) await writeResults(ROOT, 'cli.md', report);
    else say(report);
  } finally {
    worker?.kill('SIGINT');
    await stopBenchServer(server);
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const ms = (value: number) => `${Math.round(value)} ms`;
const times = (value: number) => `${value.toFixed(2)}×`;

function formatReport(r: {
  measured: Measured[];
  runs: number;
  machineLines: string[];
  bin: string;
  ownCli: boolean;
  stillWatching: boolean;
  guardian: string;
}): string {
  const base = r.measured[0]!;
  const baseWall = summarize(base.runs.map((x) => x.wallMs))!.p50;
  const baseCpu = summarize(base.runs.map((x) => x.cpuMs))!.p50;
  const rows: string[] = [];
  const verdicts: string[] = [];
  for (const entry of r.measured) {
    const wall = summarize(entry.runs.map((x) => x.wallMs))!;
    const cpu = summarize(entry.runs.map((x) => x.cpuMs))!;
    const wallRatio = wall.p50 / baseWall;
    const cpuRatio = cpu.p50 / baseCpu;
    const goal = entry.goal === undefined ? '' : `≤ ${entry.goal}×`;
    rows.push(
      `| \`${entry.label}\` | ${ms(wall.p50)} | ${ms(wall.p90)} | ${times(wallRatio)} | ` +
        `${ms(cpu.p50)} | ${ms(cpu.p90)} | ${times(cpuRatio)} | ${goal} |`,
    );
    if (entry.goal !== undefined) {
      const worst = Math.max(wallRatio, cpuRatio);
      const met = worst <= entry.goal;
      // Within 10% of the goal either way, another run on this machine may land on the other side.
      const close =
        Math.abs(worst - entry.goal) <= 0.1 * entry.goal
          ? ', within 10% of it: a rerun may land on the other side'
          : '';
      verdicts.push(
        `- \`${entry.label}\`: ${met ? 'met' : 'NOT met'} (wall ${times(wallRatio)}, CPU ${times(cpuRatio)}; ` +
          `goal ${entry.goal}×${close})`,
      );
    }
  }
  return [
    '# CLI startup benchmark',
    '',
    `Command: \`npm run bench:cli${r.runs === 10 ? '' : ` -- --runs ${r.runs}`}\`  `,
    ...r.machineLines,
    `Load average at the end: ${loadNow()}  `,
    '',
    `Each command ran ${r.runs} times, round-robin after one warm-up round, as \`node ${r.bin} …\`` +
      (r.ownCli
        ? ` from dist/ (compiled by \`npm install\`; recompiled ${rebuilds} time(s) during the run because src/ changed).`
        : '.') +
      ' Wall and CPU (user + system) of each run as bash’s `time` reports them (getrusage of the child process); ' +
      'the ratios are medians over the median of `node -e 0`. Goals (issue 18): `--help` and `policy validate` ' +
      'within 4× of `node -e 0`, `status` within 8×, on both wall and CPU time.',
    '',
    `\`status\` asks a live guardian on an in-memory dev server, with a --dry-run worker on the same machine: ` +
      `\`guard ${r.guardian}\`, ${r.stillWatching ? 'still watching when the runs ended' : 'no longer watching by the end (closed guardians read their history instead)'}.`,
    '',
    'The last rows are floors, for reading the others: loading the dependencies a command cannot do without, ' +
      'and nothing else (run from the project, without ripcord).',
    '',
    '| command | wall p50 | wall p90 | wall ÷ node | CPU p50 | CPU p90 | CPU ÷ node | goal |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...verdicts,
    '',
  ].join('\n');
}

runBenchmark(main);
