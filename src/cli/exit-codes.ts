import type { GuardianOutcome } from '../model/guardian';
import type { GuardianEnd } from '../client/guardian-end';

/**
 * Exit codes of `ripcord guard --wait` and `ripcord rehearse`. Pipelines branch
 * on them, so they are part of the contract: never renumber one.
 */
export const EXIT = {
  promoted: 0,
  /** An operator action was refused, or something failed that is none of the outcomes below. */
  refusedOrFailed: 1,
  usage: 2,
  rolledBack: 10,
  /** Escalated to a person, or the guardian expired: someone has to look. */
  escalated: 20,
  aborted: 30,
  /** Ctrl-C: the shell's convention for SIGINT. */
  interrupted: 130,
} as const;

const BY_OUTCOME: Record<GuardianOutcome, number> = {
  promoted: EXIT.promoted,
  'rolled-back': EXIT.rolledBack,
  escalated: EXIT.escalated,
  expired: EXIT.escalated,
  aborted: EXIT.aborted,
};

export function exitCodeForOutcome(outcome: GuardianOutcome): number {
  return BY_OUTCOME[outcome];
}

export function exitCodeForEnd(end: GuardianEnd): number {
  if (end.kind === 'outcome') return exitCodeForOutcome(end.outcome);
  switch (end.how) {
    case 'terminated':
    case 'cancelled':
      // Someone stopped the guardian by hand: as good as an abort for a pipeline.
      return EXIT.aborted;
    case 'timed out':
      return EXIT.escalated;
    case 'failed':
      return EXIT.refusedOrFailed;
  }
}

/** The help text that documents the codes, shared by `guard` and `rehearse`. */
export const OUTCOME_EXIT_CODES_HELP = [
  'Exit codes:',
  '  0   promoted (no regression, or observe/notify mode)',
  '  10  rolled back',
  '  20  escalated to a person, or expired',
  '  30  aborted (by an operator, superseded, or the guardian was terminated or cancelled)',
  '  1   the guardian failed or could not be reached',
  '  2   usage error (bad flags, invalid policy or scenario)',
].join('\n');
