import { exitCodeForEnd, exitCodeForOutcome } from '../../../src/cli/exit-codes';
import { type GuardianEnd } from '../../../src/client/guardian-end';
import type { GuardianOutcome } from '../../../src/model/guardian';

describe('exit codes of guard --wait and rehearse', () => {
  it.each<[GuardianOutcome, number]>([
    ['promoted', 0],
    ['rolled-back', 10],
    ['escalated', 20],
    ['expired', 20],
    ['aborted', 30],
  ])('outcome %s exits %i', (outcome, code) => {
    expect(exitCodeForOutcome(outcome)).toBe(code);
    expect(exitCodeForEnd({ kind: 'outcome', outcome, reason: 'why' })).toBe(code);
  });

  it.each<[Extract<GuardianEnd, { kind: 'stopped' }>['how'], number]>([
    ['terminated', 30],
    ['cancelled', 30],
    ['timed out', 20],
    ['failed', 1],
  ])('a guardian %s from outside exits %i', (how, code) => {
    expect(exitCodeForEnd({ kind: 'stopped', how, message: '' })).toBe(code);
  });
});
