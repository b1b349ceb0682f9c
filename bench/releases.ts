/**
 * Release benchmark (#20): the release judge (src/releases/judge.ts) on the
 * eight example release scenarios and on generated ones of every kind, under
 * the example canary policies, against what per-member guardians would do
 * alone (each member judged by the decision core on its own, as today).
 *
 *   npx tsx bench/releases.ts [--seeds N,M --per-kind K]
 *
 * Measures, per kind: the culprit found (rolled back, at or after the onset),
 * members wrongly rolled back (any member not at fault, or a culprit before
 * its onset: the goal is zero), escalations, and the delay from the onset to
 * the release's rollback. Writes bench/results/releases.md. The judge was
 * developed on generator seeds 1–9 and the unit tests use a few others below
 * 300; the reported seeds are the held-out ones (bench/lib/seeds.ts), each
 * reported, never only the better one.
 */
import os from 'node:os';
import path from 'node:path';
import { readFile, readdir } from 'node:fs/promises';
import type { DecisionConfig } from '../src/decision';
import { loadPolicyFile } from '../src/policy';
import { decisionConfigFromPolicy } from '../src/policy/decision-config';
import { generateReleaseScenario } from '../src/releases/generate';
import { judgeRelease, type ReleaseJudgement } from '../src/releases/judge';
import {
  memberScenario,
  RELEASE_KINDS,
  releaseMembers,
  type ReleaseKind,
  type ReleaseScenario,
} from '../src/releases/scenario';
import { parseReleaseScenarioText } from '../src/releases/scenario-files';
import { simulateScenario } from '../src/simulate/simulate';
import { argValue } from './lib/cli-args';
import { percent, runBenchmark, writeResults } from './lib/report-file';
import { quantile } from './lib/scoring';
import { HELD_OUT_SEEDS, TUNING_SEEDS } from './lib/seeds';

const DEFAULT_SEEDS = HELD_OUT_SEEDS;
/** 150 releases of each kind per seed: with the two held-out seeds, 600 with a culprit and about 2,400 members not at fault. */
const DEFAULT_PER_KIND = 150;
/** Generator seeds the release judge was developed on: never reported. */
const RELEASE_TUNING_SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9];

const root = path.resolve(__dirname, '..');
const EXAMPLES_DIR = path.join(root, 'test', 'fixtures', 'scenarios', 'release');
const POLICIES = ['policies/examples/canary.yaml', 'policies/examples/canary-p99-only.yaml'];

interface Row {
  scenario: ReleaseScenario;
  /** Generator seed; null for the examples. */
  seed: number | null;
  source: 'example' | 'generated';
  kind: ReleaseKind;
  judgement: ReleaseJudgement;
  /** Members that per-member guardians, each alone, would have rolled back. */
  alone: string[];
  engineMs: number;
}

interface Score {
  found: boolean;
  /** Members rolled back that are not at fault, or culprits rolled back before their onset. */
  wrong: string[];
  escalated: boolean;
  /** An escalation before anything went wrong (systemic: before the incident). */
  earlyEscalation: boolean;
  /** From the onset to the rollback of the culprits, or to the escalation of a systemic release. */
  delaySeconds: number | null;
  /** Members that guardians alone would have rolled back although not at fault. */
  wrongAlone: string[];
  foundAlone: boolean;
}

function score(row: Row): Score {
  const truth = row.scenario.truth;
  const culprits = truth?.culprits ?? [];
  const onset = truth?.onsetIndex ?? 0;
  const { judgement } = row;
  const early = judgement.decidedAtIndex !== null && judgement.decidedAtIndex < onset;
  const wrong = judgement.rollback.filter((m) => !culprits.includes(m) || early);
  const found =
    culprits.length > 0 &&
    judgement.decision === 'rollback' &&
    !early &&
    culprits.every((c) => judgement.rollback.includes(c));
  const escalated = judgement.decision === 'escalate';
  const earlyEscalation =
    escalated &&
    (truth?.onsetIndex === null ||
      truth?.onsetIndex === undefined ||
      (judgement.decidedAtIndex ?? 0) < onset);
  const acted = found || (truth?.kind === 'systemic' && escalated && !earlyEscalation);
  return {
    found,
    wrong,
    escalated,
    earlyEscalation,
    delaySeconds:
      acted && judgement.decidedAtIndex !== null
        ? (judgement.decidedAtIndex - onset + 1) * row.scenario.intervalSeconds
        : null,
    wrongAlone: row.alone.filter((m) => !culprits.includes(m)),
    foundAlone: culprits.length > 0 && culprits.every((c) => row.alone.includes(c)),
  };
}

function run(
  scenario: ReleaseScenario,
  config: DecisionConfig,
  source: Row['source'],
  kind: ReleaseKind,
  seed: number | null,
): Row {
  const started = process.hrtime.bigint();
  const judgement = judgeRelease(scenario, { config });
  const engineMs = Number(process.hrtime.bigint() - started) / 1e6;
  const alone = releaseMembers(scenario).filter(
    (m) => simulateScenario(config, memberScenario(scenario, m)).result.decision === 'rollback',
  );
  return { scenario, seed, source, kind, judgement, alone, engineMs };
}

function seconds(value: number | null): string {
  return value === null ? '–' : `${Math.round(value)} s`;
}

function kindTable(rows: Row[]): string {
  const lines = [
    '| kind | releases | culprit found | members wrongly rolled back | escalated (before onset) | no rollback | median delay | p90 delay | guardians alone: culprit found | guardians alone: members wrongly rolled back |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  const kinds = [...RELEASE_KINDS, 'all' as const];
  for (const kind of kinds) {
    const subset = kind === 'all' ? rows : rows.filter((r) => r.kind === kind);
    if (subset.length === 0) continue;
    const scores = subset.map(score);
    const withCulprit = subset.filter((r) => (r.scenario.truth?.culprits ?? []).length > 0).length;
    const found = scores.filter((s) => s.found).length;
    // The all row: rollbacks only (a systemic release's escalation is timed on its own row).
    const delays = scores
      .filter((s) => kind !== 'all' || s.found)
      .map((s) => s.delaySeconds)
      .filter((d): d is number => d !== null)
      .sort((a, b) => a - b);
    const wrong = scores.reduce((sum, s) => sum + s.wrong.length, 0);
    const wrongAlone = scores.reduce((sum, s) => sum + s.wrongAlone.length, 0);
    const innocent = subset.reduce(
      (sum, r) =>
        sum +
        releaseMembers(r.scenario).filter((m) => !(r.scenario.truth?.culprits ?? []).includes(m)).length,
      0,
    );
    const foundAlone = scores.filter((s) => s.foundAlone).length;
    const quiet = subset.filter((r) => r.judgement.decision === 'no-rollback').length;
    lines.push(
      `| ${kind} | ${subset.length} | ${withCulprit === 0 ? '–' : `${found}/${withCulprit} (${percent(found, withCulprit)})`} | ${wrong} of ${innocent} | ${scores.filter((s) => s.escalated).length} (${scores.filter((s) => s.earlyEscalation).length}) | ${quiet} | ${seconds(quantile(delays, 0.5))} | ${seconds(quantile(delays, 0.9))} | ${withCulprit === 0 ? '–' : `${foundAlone}/${withCulprit}`} | ${wrongAlone} of ${innocent} |`,
    );
  }
  return lines.join('\n');
}

function exampleTable(rows: Row[]): string {
  const lines = [
    '| example | truth | decision | rollback | decided at | onset |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const truth = r.scenario.truth;
    lines.push(
      `| ${r.scenario.name} | ${truth?.kind ?? '?'}${(truth?.culprits ?? []).length > 0 ? ` (${(truth?.culprits ?? []).join(', ')})` : ''} | ${r.judgement.decision} | ${r.judgement.rollback.join(', ') || '–'} | ${r.judgement.decidedAtIndex ?? '–'} | ${truth?.onsetIndex ?? '–'} |`,
    );
  }
  return lines.join('\n');
}

/** Culprits not found, members wrongly rolled back, systemic releases not escalated, healthy ones escalated. */
function misses(rows: Row[]): string {
  const notFound = rows.filter((r) => {
    const s = score(r);
    if (s.wrong.length > 0) return true;
    if (r.kind === 'systemic') return !s.escalated || s.earlyEscalation;
    if (r.kind === 'healthy') return s.escalated;
    return !s.found;
  });
  if (notFound.length === 0) return 'None.';
  return notFound
    .slice(0, 20)
    .map((r) => {
      const wrong = score(r).wrong;
      const alone = wrong.filter((m) => r.alone.includes(m));
      const note =
        wrong.length === 0
          ? ''
          : ` (wrongly rolled back: ${wrong.join(', ')}; its own guardian alone ${alone.length === wrong.length ? 'rolls it back too' : 'does not'})`;
      return `- ${r.scenario.name} (${r.scenario.description ?? ''}): ${r.judgement.decision}, ${r.judgement.reason}${note}`;
    })
    .join('\n');
}

async function examples(): Promise<{ scenario: ReleaseScenario; kind: ReleaseKind }[]> {
  const names = (await readdir(EXAMPLES_DIR)).filter((n) => n.endsWith('.json')).sort();
  const out: { scenario: ReleaseScenario; kind: ReleaseKind }[] = [];
  for (const name of names) {
    const file = path.join(EXAMPLES_DIR, name);
    const scenario = parseReleaseScenarioText(await readFile(file, 'utf8'), file);
    out.push({ scenario, kind: scenario.truth?.kind ?? 'healthy' });
  }
  return out;
}

async function main(): Promise<void> {
  const seeds = (argValue('--seeds') ?? DEFAULT_SEEDS.join(',')).split(',').map(Number);
  const perKind = Number(argValue('--per-kind') ?? DEFAULT_PER_KIND);
  for (const seed of seeds) {
    if (!Number.isInteger(seed) || [...TUNING_SEEDS, ...RELEASE_TUNING_SEEDS].includes(seed)) {
      throw new Error(`seed ${seed} is not a whole number or was used to develop the judge; pick another`);
    }
  }
  const generated: { scenario: ReleaseScenario; kind: ReleaseKind; seed: number }[] = [];
  for (const seed of seeds) {
    for (const kind of RELEASE_KINDS) {
      for (let index = 0; index < perKind; index++) {
        generated.push({ scenario: generateReleaseScenario({ kind, seed, index }), kind, seed });
      }
    }
  }
  const shared = await examples();

  const sections: string[] = [];
  let engineMs = 0;
  let judged = 0;
  for (const policyFile of POLICIES) {
    const loaded = await loadPolicyFile(path.resolve(root, policyFile));
    const config = decisionConfigFromPolicy(loaded.policy);
    const exampleRows = shared.map((e) => run(e.scenario, config, 'example', e.kind, null));
    const generatedRows = generated.map((g) => run(g.scenario, config, 'generated', g.kind, g.seed));
    for (const r of [...exampleRows, ...generatedRows]) engineMs += r.engineMs;
    judged += exampleRows.length + generatedRows.length;
    sections.push(
      `## \`${policyFile}\``,
      '',
      `Policy hash ${loaded.hash}.`,
      '',
      `### Generated releases (seeds ${seeds.join(' and ')}, ${perKind} per kind each)`,
      '',
      kindTable(generatedRows),
      '',
      ...seeds.flatMap((seed) => [
        `Seed ${seed} alone:`,
        '',
        kindTable(generatedRows.filter((r) => r.seed === seed)),
        '',
      ]),
      '### The eight example releases',
      '',
      kindTable(exampleRows),
      '',
      exampleTable(exampleRows),
      '',
      '### Releases not judged as their truth expects',
      '',
      'Culprits not found, members wrongly rolled back, systemic releases not escalated, healthy releases escalated.',
      '',
      misses([...exampleRows, ...generatedRows]),
      '',
    );
  }

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const command = `npx tsx bench/releases.ts --seeds ${seeds.join(',')} --per-kind ${perKind}`;
  const report = [
    '# Release benchmark',
    '',
    `Command: \`${command}\`  `,
    `Machine: ${cpu}, ${os.cpus().length} cores, Node ${process.version}, ${os.platform()}  `,
    `Releases: ${shared.length} examples (test/fixtures/scenarios/release) + ${generated.length} generated (\`ripcord scenario generate --release\`, seeds ${seeds.join(' and ')}, ${perKind} per kind each; the judge was developed on seeds ${RELEASE_TUNING_SEEDS.join(', ')})  `,
    `Judge time: ${engineMs.toFixed(0)} ms for ${judged} release judgements`,
    '',
    'Each release is judged by `judgeRelease` (src/releases/judge.ts) in mode `independent`, every member under the policy,',
    'as `ripcord simulate --release-scenario` does. "Guardians alone" is what today\'s per-deployment guardians would do:',
    'each member judged by the decision core on its own, to the end of the watch.',
    '',
    '- culprit found: the release rolled back every culprit (truth.culprits), at or after the onset.',
    '- members wrongly rolled back: members rolled back that are not at fault, and culprits rolled back before their onset,',
    '  out of all members not at fault. The goal is zero.',
    '- delay: (the interval the release acted − the onset interval + 1) × the interval length: its rollback where the culprit',
    '  was found, its escalation for a systemic release.',
    '- escalated before onset: an escalation with nothing wrong yet (a healthy release, or before a systemic incident).',
    '- systemic and healthy releases have no culprit: escalating a systemic one is what the judge should do, rolling',
    '  anything back is wrong.',
    '',
    ...sections,
  ].join('\n');
  await writeResults(root, 'releases.md', report);
}

runBenchmark(main);
