/**
 * Tuning aid: per-scenario detail of the decision benchmark on development
 * seeds (never the held-out ones). For every generated regression it prints
 * when ripcord first breached, when it decided, and when Flagger did; then a
 * summary per seed (the same numbers as the benchmark's headline rows).
 *
 *   npx tsx bench/diagnose.ts --seeds 7,8,9 [--per-cell 5] [--kinds a,b] [--policy file] [--verbose] [--oracle]
 *
 * --oracle asks, for every missed regression, whether it was detectable at
 * all: ripcord's own test told the onset (bench/lib/known-onset.ts), at the
 * policy's alpha and tolerance. A miss it cannot flag is one that a test with
 * these alternatives, having to find the onset itself, cannot be expected to
 * catch.
 */
import path from 'node:path';
import { loadPolicyFile } from '../src/policy';
import { decisionConfigFromPolicy } from '../src/policy/decision-config';
import { simulateScenario } from '../src/simulate/simulate';
import { flagger } from './lib/emulations';
import { generatedScenarios } from './lib/scenario-set';
import { quantile, scoreOutcome } from './lib/scoring';
import { argValue } from './lib/cli-args';
import { knownOnsetTest } from './lib/known-onset';
import { runBenchmark } from './lib/report-file';
import { HELD_OUT_SEEDS } from './lib/seeds';

async function main(): Promise<void> {
  const seeds = (argValue('--seeds') ?? '7').split(',').map(Number);
  for (const s of seeds) if (HELD_OUT_SEEDS.includes(s)) throw new Error(`seed ${s} is held out`);
  const perCell = Number(argValue('--per-cell') ?? 5);
  const verbose = process.argv.includes('--verbose');
  const oracle = process.argv.includes('--oracle');
  const oracleTotals = { missed: 0, detectable: 0 };
  const root = path.resolve(__dirname, '..');
  const policyFile = argValue('--policy') ?? 'policies/examples/canary.yaml';
  const config = decisionConfigFromPolicy((await loadPolicyFile(path.resolve(root, policyFile))).policy);
  const totals = {
    det: 0,
    reg: 0,
    fr: 0,
    clean: 0,
    esc: 0,
    ratios: [] as number[],
    ours: [] as number[],
    theirs: [] as number[],
  };
  for (const seed of seeds) {
    const ours: number[] = [];
    const theirs: number[] = [];
    let det = 0;
    let reg = 0;
    let fr = 0;
    let esc = 0;
    let clean = 0;
    const kinds = argValue('--kinds')?.split(',');
    for (const bench of generatedScenarios(seed, perCell)) {
      if (kinds !== undefined && !kinds.includes(bench.kind)) continue;
      const sc = bench.scenario;
      const run = simulateScenario(config, sc);
      const score = scoreOutcome(sc, run.result);
      const f = scoreOutcome(sc, flagger(sc));
      if (sc.truth?.regression !== true) {
        clean += 1;
        if (score.kind === 'false-rollback') fr += 1;
        if (score.kind === 'escalated') esc += 1;
        if (verbose && score.kind !== 'quiet') {
          console.log(
            `CLEAN ${sc.name} rps=${bench.rps} dt=${sc.intervalSeconds} ${run.result.decision} @${run.result.decidedAtIndex}: ${run.result.reason}`,
          );
        }
        continue;
      }
      reg += 1;
      if (score.kind === 'detected') det += 1;
      const onset = sc.truth.onsetIndex ?? 0;
      const breach = run.timeline.findIndex(
        (v, i) => i >= onset && v.signals.some((s) => s.phase === 'confirming'),
      );
      const breachSignal =
        breach >= 0 ? run.timeline[breach]?.signals.find((s) => s.phase === 'confirming')?.signal : '';
      if (oracle && score.kind !== 'detected' && bench.kind !== 'canary-blackout') {
        const known = scoreOutcome(sc, knownOnsetTest(config, sc));
        oracleTotals.missed += 1;
        if (known.kind === 'detected') oracleTotals.detectable += 1;
        console.log(
          `MISSED ${bench.kind} rps=${bench.rps} ${score.kind}: known-onset test ${known.kind === 'detected' ? `flags it after ${known.delaySeconds}s` : 'does not flag it'}`,
        );
      }
      if (score.kind === 'detected' && f.kind === 'detected') {
        ours.push(score.delaySeconds);
        theirs.push(f.delaySeconds);
        totals.ratios.push(score.delaySeconds / f.delaySeconds);
      }
      if (verbose) {
        const dt = sc.intervalSeconds;
        const p = sc.params ?? {};
        const fmt = (x: typeof score) => (x.kind === 'detected' ? `${x.delaySeconds}s` : x.kind);
        console.log(
          [
            bench.kind.padEnd(16),
            `rps=${String(bench.rps).padEnd(3)}`,
            `dt=${dt}`,
            `n=${String(run.result.evidence.intervals).padEnd(3)}`,
            `onset=${String(onset).padEnd(3)}`,
            `base=${p.base}`,
            `mult=${typeof p.mult === 'number' ? p.mult.toFixed(2) : (p.perMinute ?? p.fail ?? '')}`,
            `breach=${breach >= 0 ? `+${(breach - onset + 1) * dt}s ${breachSignal}` : '-'}`,
            `ours=${fmt(score)}`,
            `flagger=${fmt(f)}`,
            run.result.decision !== 'rollback' ? run.result.reason : '',
          ].join(' '),
        );
      }
    }
    ours.sort((a, b) => a - b);
    theirs.sort((a, b) => a - b);
    const mo = quantile(ours, 0.5) ?? NaN;
    const mt = quantile(theirs, 0.5) ?? NaN;
    console.log(
      `seed ${seed}: detected ${det}/${reg}, FR ${fr}/${clean}, esc ${esc}, paired ${ours.length}: ${mo} s vs ${mt} s ratio ${(mo / mt).toFixed(2)}`,
    );
    Object.assign(totals, {
      det: totals.det + det,
      reg: totals.reg + reg,
      fr: totals.fr + fr,
      clean: totals.clean + clean,
      esc: totals.esc + esc,
    });
    totals.ours.push(...ours);
    totals.theirs.push(...theirs);
  }
  totals.ours.sort((a, b) => a - b);
  totals.theirs.sort((a, b) => a - b);
  totals.ratios.sort((a, b) => a - b);
  const mo = quantile(totals.ours, 0.5) ?? NaN;
  const mt = quantile(totals.theirs, 0.5) ?? NaN;
  if (oracle) {
    console.log(
      `ORACLE: the known-onset test flags ${oracleTotals.detectable} of the ${oracleTotals.missed} missed regressions (blackouts left out)`,
    );
  }
  console.log(
    `ALL: detected ${totals.det}/${totals.reg} (${((100 * totals.det) / totals.reg).toFixed(1)}%), FR ${totals.fr}/${totals.clean}, esc ${totals.esc}, paired ${totals.ours.length}: ${mo} s vs ${mt} s ratio ${(mo / mt).toFixed(3)}, median of ratios ${quantile(totals.ratios, 0.5)?.toFixed(3)}`,
  );
}

runBenchmark(main);
