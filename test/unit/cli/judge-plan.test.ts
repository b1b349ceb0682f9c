import { UserFacingError } from '../../../src/cli/errors';
import { planToJudge } from '../../../src/cli/judge-plan';
import { PLAN, status } from './helpers';

describe('approve and reject judge the current plan, and only it', () => {
  const gate = status({ phase: 'gate', plan: PLAN });

  it.each(['approve', 'reject'] as const)('%s shows the plan and sends its hash', (action) => {
    const judged = planToJudge(action, gate, undefined);
    expect(judged.planHash).toBe('sha256:plan1');
    expect(judged.lines).toEqual([
      `${action === 'approve' ? 'approving' : 'rejecting'}:`,
      'plan sha256:plan1',
      '  risk high: canary weight 50% is above 25%',
      '  step 0 drain-canary (shift-traffic): pending',
      '  step 1 announce (webhook): pending',
    ]);
  });

  it('accepts --plan naming the current plan', () => {
    expect(planToJudge('approve', gate, 'sha256:plan1').planHash).toBe('sha256:plan1');
  });

  it.each([
    [
      'a --plan that is not the current one',
      gate,
      'sha256:old',
      "--plan sha256:old is not the guardian's current plan sha256:plan1; nothing was sent",
    ],
    [
      'no plan at all',
      status({ phase: 'watch' }),
      undefined,
      'there is no rollback plan to approve (guardian phase watch); nothing was sent',
    ],
  ])('refuses before sending: %s (exit 1)', (_what, current, expected, message) => {
    let thrown: unknown;
    try {
      planToJudge('approve', current, expected);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UserFacingError);
    expect((thrown as UserFacingError).exitCode).toBe(1);
    expect((thrown as UserFacingError).message).toContain(message);
  });
});
