import type { BehaviourPreset } from '../fleet';
import type { GuardianOutcome } from '../../model/guardian';

/**
 * What each `ripcord demo --story` shows. Every story runs the same real stack;
 * they differ in how version 2.0.0 behaves, in how it is deployed (a canary
 * next to 1.9.0, or blue-green), and in what the policy asks of a rollback.
 */
export type DemoPattern = 'canary' | 'blue-green';

export interface DemoStory {
  summary: string;
  /** How the new release behaves (see src/dev/fleet/behaviour.ts). */
  behaviour: BehaviourPreset;
  /** canary: 2.0.0 next to 1.9.0, split by weight; blue-green: 2.0.0 takes all traffic on green. */
  pattern: DemoPattern;
  expected: GuardianOutcome;
  /**
   * How long the guardian watches before it promotes. A rollback story ends
   * sooner; a promotion story needs room after its last surprise (the
   * transient's spike must be confirmed or dismissed before the watch ends).
   */
  watchSeconds: number;
  /** The rollback waits for a signed approval (the demo prints the command to give it). */
  highRisk?: boolean;
}

export const DEMO_STORIES = {
  'bad-canary': {
    summary: '2.0.0 degrades after a warm-up (4% errors, slower tail): detected, confirmed, rolled back',
    behaviour: 'degrading',
    pattern: 'canary',
    expected: 'rolled-back',
    watchSeconds: 150,
  },
  healthy: {
    summary: '2.0.0 is as good as 1.9.0: watched, then promoted',
    behaviour: 'healthy',
    pattern: 'canary',
    expected: 'promoted',
    watchSeconds: 60,
  },
  transient: {
    summary: '2.0.0 has a short burst of errors after its warm-up, then behaves: not rolled back, promoted',
    behaviour: 'transient',
    pattern: 'canary',
    expected: 'promoted',
    watchSeconds: 90,
  },
  'high-risk': {
    summary: '2.0.0 degrades; the rollback is high-risk and waits for a signed approval (command printed)',
    behaviour: 'degrading',
    pattern: 'canary',
    expected: 'rolled-back',
    watchSeconds: 150,
    highRisk: true,
  },
  'blue-green': {
    summary: '2.0.0 goes live on green, 1.9.0 stays warm on blue; 2.0.0 breaks its SLO: swapped back to blue',
    behaviour: 'degrading',
    pattern: 'blue-green',
    expected: 'rolled-back',
    watchSeconds: 150,
  },
} as const satisfies Record<string, DemoStory>;

export type DemoStoryName = keyof typeof DEMO_STORIES;

export function isDemoStoryName(name: string): name is DemoStoryName {
  return Object.hasOwn(DEMO_STORIES, name);
}

/** Seconds of good behaviour before 2.0.0 turns (the story's onset). */
export const DEMO_WARMUP_SECONDS = 20;
/** transient: how long the burst lasts. Shorter than the policy's confirmation window, as it must be. */
export const DEMO_SPIKE_SECONDS = 6;
/**
 * Requests per second through nginx. Enough that a few seconds of the canary's
 * share hold dozens of requests (its errors and p99 mean something), little
 * enough for a small shared machine.
 */
export const DEMO_LOAD_PER_SECOND = 80;
/**
 * The canary's share while it is watched. Half: the p99 of the two groups is
 * then read from equally many requests, which is what comparing one interval's
 * p99s assumes, and the canary sees enough traffic to be judged in seconds.
 */
export const DEMO_CANARY_WEIGHT = 50;

/**
 * The release stories (`ripcord demo --story release`, `--story release-outage`):
 * one release of two members on the same real stack, with the shop of
 * release-shop.ts behind nginx. They differ in which fault the story turns on
 * once the release has watched a few healthy intervals.
 */
export interface ReleaseStory {
  summary: string;
  /** The instance whose fault switch the story turns on (release-shop.ts SHOP_FAULTS). */
  fault: 'payments-canary' | 'db-proxy';
  /** What must be true at the end. */
  expected: {
    /** Members rolled back, in order. */
    rolledBack: string[];
    /** Members promoted at the end of the watch. */
    promoted: string[];
    /** The release's first verdict is one of these. */
    verdicts: Array<'isolated' | 'cascade' | 'systemic'>;
    /** How the release ends, when the story fixes it (a held release is aborted by a person, as the story shows). */
    outcome?: GuardianOutcome;
  };
}

export const RELEASE_STORIES = {
  release: {
    summary:
      "payments 2.0.0 and checkout 2.0.0 ship together; payments regresses and checkout's canary errors follow: payments alone rolled back, checkout promoted",
    fault: 'payments-canary',
    expected: {
      rolledBack: ['payments'],
      promoted: ['checkout'],
      verdicts: ['isolated', 'cascade'],
    },
  },
  'release-outage': {
    summary:
      'the same release; db-proxy, outside it, fails under every version: the release holds and escalates, a person aborts it, nothing rolled back',
    fault: 'db-proxy',
    expected: { rolledBack: [], promoted: [], verdicts: ['systemic'], outcome: 'aborted' },
  },
} as const satisfies Record<string, ReleaseStory>;

export type ReleaseStoryName = keyof typeof RELEASE_STORIES;

export function isReleaseStoryName(name: string): name is ReleaseStoryName {
  return Object.hasOwn(RELEASE_STORIES, name);
}

/** Every story `ripcord demo --story` tells, with its summary: a deployment's, then a release's. */
export function allStories(): Array<[DemoStoryName | ReleaseStoryName, string]> {
  return [
    ...Object.entries(DEMO_STORIES).map(([name, s]) => [name as DemoStoryName, s.summary] as const),
    ...Object.entries(RELEASE_STORIES).map(([name, s]) => [name as ReleaseStoryName, s.summary] as const),
  ].map(([name, summary]) => [name, summary]);
}
