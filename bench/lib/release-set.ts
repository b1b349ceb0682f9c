/**
 * The release benchmark's parts, shared by `npm run bench:releases`
 * (bench/releases.ts, the full report) and `npm run bench:decisions` (its
 * release part): generated and example releases, each judged by the release
 * judge and by per-member guardians alone, scored against its truth.
 *
 * - culprit found: the release rolled back every culprit (truth.culprits), at or after the onset.
 * - members wrongly rolled back: members rolled back that are not at fault, and culprits rolled back
 *   before their onset, out of all members not at fault. The goal is zero.
 * - delay: (the interval the release acted − the onset interval + 1) × the interval length: its
 *   rollback where the culprit was found, its escalation for a systemic release.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { DecisionConfig } from '../../src/decision';
import { generateReleaseScenario } from '../../src/releases/generate';
import { judgeRelease, type ReleaseJudgement } from '../../src/releases/judge';
import {
  memberScenario,
  RELEASE_KINDS,
  releaseMembers,
  type ReleaseKind,
  type ReleaseScenario,
} from '../../src/releases/scenario';
import { parseReleaseScenarioText } from '../../src/releases/scenario-files';
import { simulateScenario } from '../../src/simulate/simulate';
import { percent } from './report-file';
import { quantile } from './scoring';

/** Generator seeds the release judge was developed on: never reported. */
export const RELEASE_TUNING_SEEDS: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9];

export const RELEASE_EXAMPLES_DIR = path.resolve(
  __dirname,
  '..',
  '..',
  'test',
  'fixtures',
  'scenarios',
  'release',
);

export interface ReleaseSetItem {
  scenario: ReleaseScenario;
  kind: ReleaseKind;
  /** Generator seed; null for the examples. */
  seed: number | null;
}

export interface ReleaseRow {
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

export interface ReleaseScore {
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

export function scoreRelease(row: ReleaseRow): ReleaseScore {
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

/** One release judged by the release judge (mode independent, every member under `config`) and by guardians alone. */
export function judgeReleaseRow(
  scenario: ReleaseScenario,
  config: DecisionConfig,
  source: ReleaseRow['source'],
  kind: ReleaseKind,
  seed: number | null,
): ReleaseRow {
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

/** One row per kind and an `all` row: culprit found, members wrongly rolled back, escalations, delay, and guardians alone. */
export function releaseKindTable(rows: ReleaseRow[]): string {
  const lines = [
    '| kind | releases | culprit found | members wrongly rolled back | escalated (before onset) | no rollback | median delay | p90 delay | guardians alone: culprit found | guardians alone: members wrongly rolled back |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  const kinds = [...RELEASE_KINDS, 'all' as const];
  for (const kind of kinds) {
    const subset = kind === 'all' ? rows : rows.filter((r) => r.kind === kind);
    if (subset.length === 0) continue;
    const scores = subset.map(scoreRelease);
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

export function releaseExampleTable(rows: ReleaseRow[]): string {
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
export function releaseMisses(rows: ReleaseRow[]): string {
  const notFound = rows.filter((r) => {
    const s = scoreRelease(r);
    if (s.wrong.length > 0) return true;
    if (r.kind === 'systemic') return !s.escalated || s.earlyEscalation;
    if (r.kind === 'healthy') return s.escalated;
    return !s.found;
  });
  if (notFound.length === 0) return 'None.';
  return notFound
    .slice(0, 20)
    .map((r) => {
      const wrong = scoreRelease(r).wrong;
      const alone = wrong.filter((m) => r.alone.includes(m));
      const note =
        wrong.length === 0
          ? ''
          : ` (wrongly rolled back: ${wrong.join(', ')}; its own guardian alone ${alone.length === wrong.length ? 'rolls it back too' : 'does not'})`;
      return `- ${r.scenario.name} (${r.scenario.description ?? ''}): ${r.judgement.decision}, ${r.judgement.reason}${note}`;
    })
    .join('\n');
}

/** The example releases (test/fixtures/scenarios/release), each with its truth's kind. */
export async function exampleReleases(dir = RELEASE_EXAMPLES_DIR): Promise<ReleaseSetItem[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  const out: ReleaseSetItem[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const scenario = parseReleaseScenarioText(await readFile(file, 'utf8'), file);
    out.push({ scenario, kind: scenario.truth?.kind ?? 'healthy', seed: null });
  }
  return out;
}

/** `perKind` generated releases of every kind for each seed; refuses the seeds the judge was developed on. */
export function generatedReleases(
  seeds: readonly number[],
  perKind: number,
  tuning = false,
): ReleaseSetItem[] {
  for (const seed of seeds) {
    if (!Number.isInteger(seed) || (!tuning && RELEASE_TUNING_SEEDS.includes(seed))) {
      throw new Error(
        `seed ${seed} is not a whole number or was used to develop the release judge; pick another`,
      );
    }
  }
  const out: ReleaseSetItem[] = [];
  for (const seed of seeds) {
    for (const kind of RELEASE_KINDS) {
      for (let index = 0; index < perKind; index++) {
        out.push({ scenario: generateReleaseScenario({ kind, seed, index }), kind, seed });
      }
    }
  }
  return out;
}
