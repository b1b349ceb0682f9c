import type { BehaviourPreset } from '../fleet';
import type { GuardianOutcome } from '../../workflows/messages';

/**
 * What each `ripcord demo --story` shows. Every story runs the same real stack;
 * they differ in how version 2.0.0 behaves and in what the policy asks of a
 * rollback.
 */
export interface DemoStory {
  summary: string;
  /** How the canary's release behaves (see src/dev/fleet/behaviour.ts). */
  behaviour: BehaviourPreset;
  expected: GuardianOutcome;
  /** How long the guardian watches before it promotes (the story's length when nothing goes wrong). */
  watchSeconds: number;
  /** The rollback waits for a signed approval (the demo prints the command to give it). */
  highRisk?: boolean;
}

export const DEMO_STORIES = {
  'bad-canary': {
    summary: '2.0.0 degrades after a warm-up (4% errors, slower tail): detected, confirmed, rolled back',
    behaviour: 'degrading',
    expected: 'rolled-back',
    watchSeconds: 150,
  },
  healthy: {
    summary: '2.0.0 is as good as 1.9.0: watched, then promoted',
    behaviour: 'healthy',
    expected: 'promoted',
    watchSeconds: 60,
  },
  transient: {
    summary: '2.0.0 has a short spike after its warm-up, then behaves: no rollback, promoted',
    behaviour: 'transient',
    expected: 'promoted',
    watchSeconds: 75,
  },
  'high-risk': {
    summary: '2.0.0 degrades, and the policy calls this rollback high-risk: it waits for a signed approval',
    behaviour: 'degrading',
    expected: 'rolled-back',
    watchSeconds: 150,
    highRisk: true,
  },
} as const satisfies Record<string, DemoStory>;

export type DemoStoryName = keyof typeof DEMO_STORIES;

/** Seconds of good behaviour before 2.0.0 turns (the story's onset). */
export const DEMO_WARMUP_SECONDS = 20;
/** transient: how long the spike lasts. */
export const DEMO_SPIKE_SECONDS = 8;
/** Requests per second through nginx; the canary gets its weight's share. */
export const DEMO_LOAD_PER_SECOND = 40;
/** The canary's share of traffic while it is watched. */
export const DEMO_CANARY_WEIGHT = 25;
