import { z } from 'zod';
import type { Observation, SeriesReading } from '../decision';

/**
 * Scenario files (docs/architecture.md §4): recorded or generated series for a baseline and
 * a canary, one value per interval, null where no data arrived. `truth` and
 * `params` are for scoring only; nothing that decides ever reads them.
 */
export const SCENARIO_FORMAT = 'ripcord.scenario/v1';

const Value = z.number().finite().min(0, { error: 'must be a number of zero or more (or null)' }).nullable();

export const GroupSeries = z.strictObject({
  baseline: z.array(Value),
  canary: z.array(Value),
});
export type GroupSeries = z.infer<typeof GroupSeries>;

export const ScenarioTruth = z.looseObject({
  regression: z.boolean(),
  onsetIndex: z.number().int().min(0).optional(),
  kind: z.string().optional(),
  acceptEscalate: z.boolean().optional(),
  expect: z.string().optional(),
});
export type ScenarioTruth = z.infer<typeof ScenarioTruth>;

export const Scenario = z
  .looseObject({
    format: z.literal(SCENARIO_FORMAT, { error: `must be "${SCENARIO_FORMAT}"` }),
    name: z.string().min(1),
    description: z.string().optional(),
    intervalSeconds: z.number().positive(),
    truth: ScenarioTruth.optional(),
    params: z.record(z.string(), z.unknown()).optional(),
    series: z.record(z.string(), GroupSeries).refine((s) => Object.keys(s).length > 0, {
      error: 'must hold at least one series',
    }),
  })
  .superRefine((scenario, ctx) => {
    const entries = Object.entries(scenario.series);
    const first = entries[0];
    if (first === undefined) return;
    const length = first[1].baseline.length;
    if (length === 0) {
      ctx.addIssue({ code: 'custom', path: ['series', first[0], 'baseline'], message: 'has no intervals' });
    }
    for (const [name, groups] of entries) {
      for (const group of ['baseline', 'canary'] as const) {
        if (groups[group].length !== length) {
          ctx.addIssue({
            code: 'custom',
            path: ['series', name, group],
            message: `has ${groups[group].length} values but series.${first[0]}.baseline has ${length}: every series needs one value per interval`,
          });
        }
      }
    }
    const requests = scenario.series.requests;
    const errors = scenario.series.errors;
    if (requests !== undefined && errors !== undefined) {
      for (const group of ['baseline', 'canary'] as const) {
        errors[group].forEach((e, i) => {
          const r = requests[group][i];
          if (e !== null && r !== null && r !== undefined && r >= 0 && e > r) {
            ctx.addIssue({
              code: 'custom',
              path: ['series', 'errors', group, i],
              message: `${e} errors but only ${r} requests in this interval`,
            });
          }
        });
      }
    }
    const onset = scenario.truth?.onsetIndex;
    if (onset !== undefined && onset >= length) {
      ctx.addIssue({
        code: 'custom',
        path: ['truth', 'onsetIndex'],
        message: `is ${onset} but the scenario has only ${length} intervals`,
      });
    }
  });
export type Scenario = z.infer<typeof Scenario>;

export function scenarioLength(scenario: Scenario): number {
  const first = Object.values(scenario.series)[0];
  return first?.baseline.length ?? 0;
}

/** What the guardian would have read at interval `index`: every series, both groups (null where absent). */
export function observationAt(scenario: Scenario, index: number): Observation {
  const observation: Record<string, SeriesReading> = {};
  for (const [name, series] of Object.entries(scenario.series)) {
    observation[name] = { baseline: series.baseline[index] ?? null, canary: series.canary[index] ?? null };
  }
  return observation;
}
