import type { z } from 'zod';
import { Deployment } from '../schema/deployment';
import {
  Approval,
  Metadata,
  Mode,
  Notification,
  Recovery,
  Risk,
  RollbackWindow,
  TrustedKeys,
} from '../schema/governance';
import { PlanStep } from '../schema/plan';
import type { PolicyShape } from '../schema/shape';
import { collectReferences, type Reference } from './references';
import { plainSecretIssues } from './secrets';
import type { CrossIssue } from './issue';
import { Evaluation, Signal } from '../schema/signals';
import { Series, Source } from '../schema/sources';

export interface Indexed<T> {
  index: number;
  value: T;
}

/**
 * What the cross-field rules look at: every part of the policy that is valid on
 * its own, typed and with defaults applied. A part that is itself invalid is
 * left out (the schema already reports it), so the rules can run on a broken
 * policy and report every problem at once without echoing the same mistake.
 *
 * Name sets are gathered from everything that *has* a name, valid or not, so a
 * signal that points at a series with a broken query is not also told that the
 * series does not exist. A set is undefined when its section is unusable.
 */
export interface PolicyView {
  metadata?: Metadata;
  deployment?: Deployment;
  mode?: Mode;
  rollbackWindow?: RollbackWindow;
  sources: Array<[string, Source]>;
  sourceNames?: ReadonlySet<string>;
  series: Array<[string, Series]>;
  seriesNames?: ReadonlySet<string>;
  signals: Indexed<Signal>[];
  signalNames?: ReadonlySet<string>;
  /** True when every signal is valid, so that rules about the set as a whole may judge it. */
  signalsComplete: boolean;
  evaluation?: Evaluation;
  steps: Indexed<PlanStep>[];
  stepCount?: number;
  stepsComplete: boolean;
  risk?: Risk;
  /** 'absent' when the policy has no approval section; undefined when the section is invalid. */
  approval?: Approval | 'absent';
  recovery?: Recovery;
  notifications: Indexed<Notification>[];
  notificationsComplete: boolean;
  trustedKeys?: TrustedKeys;
  /** Every place the document refers to a source, series, signal or key by name. */
  references: Reference[];
  /** Secret fields anywhere in the document that hold something other than a reference. */
  plainSecrets: CrossIssue[];
}

export function viewOfPolicy(policy: PolicyShape): PolicyView {
  const index = <T>(values: T[]): Indexed<T>[] => values.map((value, i) => ({ index: i, value }));
  return {
    metadata: policy.metadata,
    deployment: policy.deployment,
    mode: policy.mode,
    rollbackWindow: policy.rollbackWindow,
    sources: Object.entries(policy.sources),
    sourceNames: new Set(Object.keys(policy.sources)),
    series: Object.entries(policy.series),
    seriesNames: new Set(Object.keys(policy.series)),
    signals: index(policy.signals),
    signalNames: new Set(policy.signals.map((s) => s.name)),
    signalsComplete: true,
    evaluation: policy.evaluation,
    steps: index(policy.plan.steps),
    stepCount: policy.plan.steps.length,
    stepsComplete: true,
    risk: policy.risk,
    approval: policy.approval ?? 'absent',
    recovery: policy.recovery,
    notifications: index(policy.notifications),
    notificationsComplete: true,
    trustedKeys: policy.trustedKeys,
    references: collectReferences(policy),
    plainSecrets: [], // the schema has already checked every secret field of a valid policy
  };
}

export function viewOfRaw(raw: unknown): PolicyView {
  const root = asRecord(raw) ?? {};
  const sources = asRecord(root.sources);
  const series = asRecord(root.series);
  const signals = parseEach(Signal, root.signals);
  const plan = asRecord(root.plan);
  const steps = parseEach(PlanStep, plan?.steps);
  const notifications = parseEach(Notification, root.notifications === undefined ? [] : root.notifications);
  return {
    metadata: valid(Metadata, root.metadata),
    deployment: valid(Deployment, root.deployment),
    mode: valid(Mode, root.mode),
    rollbackWindow: valid(RollbackWindow, root.rollbackWindow),
    sources: validEntries(Source, sources),
    sourceNames: sources && new Set(Object.keys(sources)),
    series: validEntries(Series, series),
    seriesNames: series && new Set(Object.keys(series)),
    signals: signals.valid,
    signalNames: namesOf(root.signals),
    signalsComplete: signals.complete,
    evaluation: valid(Evaluation, root.evaluation),
    steps: steps.valid,
    stepCount: Array.isArray(plan?.steps) ? plan.steps.length : undefined,
    stepsComplete: steps.complete,
    risk: valid(Risk, root.risk),
    approval: root.approval === undefined ? 'absent' : valid(Approval, root.approval),
    recovery: valid(Recovery, root.recovery),
    notifications: notifications.valid,
    notificationsComplete: notifications.complete,
    trustedKeys: valid(TrustedKeys, root.trustedKeys),
    references: collectReferences(raw),
    plainSecrets: plainSecretIssues(raw),
  };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function valid<S extends z.ZodType>(schema: S, value: unknown): z.output<S> | undefined {
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
}

function validEntries<S extends z.ZodType>(
  schema: S,
  record: Record<string, unknown> | undefined,
): Array<[string, z.output<S>]> {
  const entries: Array<[string, z.output<S>]> = [];
  for (const [name, value] of Object.entries(record ?? {})) {
    const parsed = schema.safeParse(value);
    if (parsed.success) entries.push([name, parsed.data]);
  }
  return entries;
}

function parseEach<S extends z.ZodType>(
  schema: S,
  list: unknown,
): { valid: Indexed<z.output<S>>[]; complete: boolean } {
  if (!Array.isArray(list)) return { valid: [], complete: false };
  const validItems: Indexed<z.output<S>>[] = [];
  list.forEach((item, index) => {
    const parsed = schema.safeParse(item);
    if (parsed.success) validItems.push({ index, value: parsed.data });
  });
  return { valid: validItems, complete: validItems.length === list.length };
}

function namesOf(list: unknown): ReadonlySet<string> | undefined {
  if (!Array.isArray(list)) return undefined;
  const names = new Set<string>();
  for (const item of list) {
    const name = asRecord(item)?.name;
    if (typeof name === 'string') names.add(name);
  }
  return names;
}
