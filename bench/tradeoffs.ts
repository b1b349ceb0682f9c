/**
 * The decision policy's operating curve: how detection, false rollbacks and
 * detection delay move when a policy is made more or less sensitive.
 *
 *   npm run bench:tradeoffs [-- --per-cell 10 --clean-seeds 40]
 *
 * Each variant changes one setting of policies/examples/canary.yaml (alpha,
 * the error rate's relative tolerance, the confirmation window) and is run on
 * the tuning seeds only (bench/lib/seeds.ts): this is a design aid for
 * choosing a policy, and choosing it on the held-out seeds would make the
 * headline benchmark (bench:decisions) tuning data. False rollbacks are rare,
 * so the clean kinds run on many more seeds than the regressions.
 *
 * Variants run in parallel child processes, one per core. The table goes to
 * stdout and to bench/results/tradeoffs.md.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { DecisionConfig } from '../src/decision';
import { loadPolicyFile } from '../src/policy';
import { decisionConfigFromPolicy } from '../src/policy/decision-config';
import { simulateScenario } from '../src/simulate/simulate';
import { argValue } from './lib/cli-args';
import { percent, runBenchmark, writeResults } from './lib/report-file';
import { flagger } from './lib/emulations';
import { generatedScenarios } from './lib/scenario-set';
import { quantile, scoreOutcome } from './lib/scoring';
import { CLEAN_TUNING_SEEDS, TUNING_SEEDS } from './lib/seeds';

const root = path.resolve(__dirname, '..');
const POLICY = 'policies/examples/canary.yaml';

interface Variant {
  /** What the row changed, said from the policy it changed. */
  label: (config: DecisionConfig) => string;
  apply: (config: DecisionConfig) => DecisionConfig;
}

function asWritten(config: DecisionConfig): string {
  const tolerance = config.signals.find((s) => s.kind === 'ratio')?.tolerance.relative ?? 0;
  return (
    `canary.yaml as written (alpha ${config.alpha}, tolerance ${Math.round(tolerance * 100)}%, ` +
    `window ${config.confirmationWindowSeconds} s)`
  );
}

function withErrorTolerance(relative: number): Variant['apply'] {
  return (config) => ({
    ...config,
    signals: config.signals.map((s) =>
      s.kind === 'ratio' ? { ...s, tolerance: { ...s.tolerance, relative } } : s,
    ),
  });
}

const VARIANTS: readonly Variant[] = [
  { label: asWritten, apply: (c) => c },
  { label: () => 'alpha 0.005', apply: (c) => ({ ...c, alpha: 0.005 }) },
  { label: () => 'alpha 0.02', apply: (c) => ({ ...c, alpha: 0.02 }) },
  { label: () => 'error-rate tolerance 10%', apply: withErrorTolerance(0.1) },
  { label: () => 'error-rate tolerance 30%', apply: withErrorTolerance(0.3) },
  {
    label: () => 'confirmation window 30 s (shorter than the longest spikes)',
    apply: (c) => ({ ...c, confirmationWindowSeconds: 30 }),
  },
  { label: () => 'confirmation window 90 s', apply: (c) => ({ ...c, confirmationWindowSeconds: 90 }) },
];

interface VariantResult {
  label: string;
  regressions: number;
  detected: number;
  /** Regressions and detections at 3 requests/s per group or more. */
  regressionsAbove1: number;
  detectedAbove1: number;
  rollbacksBeforeOnset: number;
  clean: number;
  falseRollbacks: number;
  escalationsClean: number;
  medianDelay: number | null;
  pairedOurs: number | null;
  pairedFlagger: number | null;
}

function runVariant(
  config: DecisionConfig,
  label: string,
  perCell: number,
  cleanSeeds: number,
): VariantResult {
  const result: VariantResult = {
    label,
    regressions: 0,
    detected: 0,
    regressionsAbove1: 0,
    detectedAbove1: 0,
    rollbacksBeforeOnset: 0,
    clean: 0,
    falseRollbacks: 0,
    escalationsClean: 0,
    medianDelay: null,
    pairedOurs: null,
    pairedFlagger: null,
  };
  const delays: number[] = [];
  const ours: number[] = [];
  const theirs: number[] = [];
  for (const seed of TUNING_SEEDS) {
    for (const bench of generatedScenarios(seed, perCell)) {
      const scenario = bench.scenario;
      if (scenario.truth?.regression !== true) continue;
      const score = scoreOutcome(scenario, simulateScenario(config, scenario).result);
      const above1 = (bench.rps ?? 0) > 1;
      result.regressions += 1;
      if (above1) result.regressionsAbove1 += 1;
      if (score.kind === 'false-rollback') result.rollbacksBeforeOnset += 1;
      if (score.kind !== 'detected') continue;
      result.detected += 1;
      if (above1) result.detectedAbove1 += 1;
      delays.push(score.delaySeconds);
      const theirScore = scoreOutcome(scenario, flagger(scenario));
      if (theirScore.kind === 'detected') {
        ours.push(score.delaySeconds);
        theirs.push(theirScore.delaySeconds);
      }
    }
  }
  for (const seed of CLEAN_TUNING_SEEDS.slice(0, cleanSeeds)) {
    for (const bench of generatedScenarios(seed, 5)) {
      if (bench.scenario.truth?.regression === true) continue;
      const score = scoreOutcome(bench.scenario, simulateScenario(config, bench.scenario).result);
      result.clean += 1;
      if (score.kind === 'false-rollback') result.falseRollbacks += 1;
      if (score.kind === 'escalated') result.escalationsClean += 1;
    }
  }
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  result.medianDelay = quantile(sorted(delays), 0.5);
  result.pairedOurs = quantile(sorted(ours), 0.5);
  result.pairedFlagger = quantile(sorted(theirs), 0.5);
  return result;
}

/** Runs one variant in a child process (this script with --variant i) and reads its JSON line. */
function runChild(index: number, perCell: number, cleanSeeds: number): Promise<VariantResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...process.execArgv,
        __filename,
        '--variant',
        String(index),
        '--per-cell',
        String(perCell),
        '--clean-seeds',
        String(cleanSeeds),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`variant ${index} exited with ${code}`));
      resolve(JSON.parse(out.trim()) as VariantResult);
    });
  });
}

function table(results: readonly VariantResult[]): string {
  const lines = [
    '| variant | regressions detected | at 3–100 req/s | rollbacks before onset | false rollbacks (clean) | escalations (clean) | median delay | paired median vs Flagger |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const paired =
      r.pairedOurs === null || r.pairedFlagger === null
        ? '–'
        : `${r.pairedOurs} s vs ${r.pairedFlagger} s (${(r.pairedOurs / r.pairedFlagger).toFixed(2)})`;
    lines.push(
      `| ${r.label} | ${r.detected}/${r.regressions} (${percent(r.detected, r.regressions)}) | ${percent(r.detectedAbove1, r.regressionsAbove1)} | ${r.rollbacksBeforeOnset} | ${r.falseRollbacks}/${r.clean} | ${r.escalationsClean} | ${r.medianDelay ?? '–'} s | ${paired} |`,
    );
  }
  return lines.join('\n');
}

function positiveInteger(name: string, fallback: number): number {
  const raw = argValue(name);
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

async function main(): Promise<void> {
  const perCell = positiveInteger('--per-cell', 10);
  const cleanSeeds = positiveInteger('--clean-seeds', 40);
  if (cleanSeeds > CLEAN_TUNING_SEEDS.length) {
    throw new Error(`--clean-seeds must be at most ${CLEAN_TUNING_SEEDS.length}`);
  }
  const loaded = await loadPolicyFile(path.resolve(root, POLICY));
  const base = decisionConfigFromPolicy(loaded.policy);

  const variantArg = argValue('--variant');
  if (variantArg !== undefined) {
    const variant = VARIANTS[Number(variantArg)];
    if (variant === undefined) throw new Error(`--variant must be 0–${VARIANTS.length - 1}`);
    const result = runVariant(variant.apply(base), variant.label(base), perCell, cleanSeeds);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }

  const started = Date.now();
  const results: VariantResult[] = new Array<VariantResult>(VARIANTS.length);
  let next = 0;
  const worker = async () => {
    while (next < VARIANTS.length) {
      const index = next++;
      process.stderr.write(
        `running variant ${index + 1}/${VARIANTS.length}: ${VARIANTS[index]?.label(base)}\n`,
      );
      results[index] = await runChild(index, perCell, cleanSeeds);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, os.cpus().length) }, worker));

  const report = [
    '# Policy operating curve',
    '',
    `Command: \`npm run bench:tradeoffs -- --per-cell ${perCell} --clean-seeds ${cleanSeeds}\`  `,
    `Policy: \`${POLICY}\` (${loaded.hash}), one setting changed per row  `,
    `Regressions: tuning seeds ${TUNING_SEEDS.join(', ')}, ${perCell} per kind and traffic level  `,
    `Clean scenarios: seeds ${CLEAN_TUNING_SEEDS[0]}–${CLEAN_TUNING_SEEDS[cleanSeeds - 1]}, 5 per clean kind and traffic level  `,
    `Wall time: ${((Date.now() - started) / 1000).toFixed(0)} s`,
    '',
    table(results),
    '',
    'Tuning seeds only: these rows are for choosing a policy; `npm run bench:decisions` reports on a held-out seed.',
    'Rollbacks before onset and false rollbacks (clean) both count against the zero-false-rollback target.',
    'Paired median: the median delay of ripcord and of the Flagger emulation on the regressions both detected.',
    '',
  ].join('\n');
  await writeResults(root, 'tradeoffs.md', report);
}

runBenchmark(main);
