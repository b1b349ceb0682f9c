import { sleep } from '@temporalio/workflow';
import type { GuardianState } from '../guardian-state';
import { checkRecovery } from '../recovery';

/**
 * After the rollback: read health every interval until the policy's recovery
 * targets hold, or until its deadline. Reads continue the same interval
 * numbering as the watch (a replayed scenario keeps playing).
 */
export async function verify(g: GuardianState): Promise<{ recovered: boolean; detail: string }> {
  const { policy } = g.input;
  if (policy.recovery.targets.length === 0)
    return { recovered: true, detail: 'no recovery targets in the policy' };
  const interval = g.config.intervalSeconds;
  const rounds = Math.max(1, Math.floor(policy.recovery.deadlineSeconds / interval));
  const until = new Date(Date.now() + g.ms(policy.recovery.deadlineSeconds)).toISOString();
  g.setPhase('verify', { for: 'health to return under the recovery targets', until });
  let last = 'no reading yet';
  for (let round = 0; round < rounds; round++) {
    await sleep(g.ms(interval));
    const observation = await g.readHealth(g.readIndex++);
    const check = checkRecovery(policy, observation);
    last = check.details.join('; ');
    if (check.met) return { recovered: true, detail: last };
  }
  return { recovered: false, detail: `not recovered within ${policy.recovery.deadlineSeconds} s (${last})` };
}
