import type { GuardianOutcome } from '../model/guardian';

/** How a guardian run ended, as the client sees it. */
export type GuardianEnd =
  | { kind: 'outcome'; outcome: GuardianOutcome; reason: string }
  /** Stopped from outside Temporal's normal path: nobody guards the deployment any more. */
  | { kind: 'stopped'; how: 'terminated' | 'cancelled' | 'timed out' | 'failed'; message: string };
