import { proxyActivities, setHandler, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import type { GuardianActivities } from '../activities';
import { type GuardianInput, type GuardianResult, type GuardianStatus, statusQuery } from './messages';
import {
  RipcordEnvironment,
  RipcordOutcome,
  RipcordPhase,
  RipcordService,
  RipcordVersion,
} from './search-attributes';

const { admitDeployment } = proxyActivities<GuardianActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['InvalidDeploymentError'] },
});

/**
 * The guardian of one deployment. This first version proves the stack end to
 * end: admit (an activity), publish search attributes, watch on durable timers,
 * close. Health evaluation and rollback arrive with the decision core and issue #5.
 */
export async function guardian(input: GuardianInput): Promise<GuardianResult> {
  const status: GuardianStatus = { phase: 'admit', evaluations: 0 };
  setHandler(statusQuery, () => status);

  upsertSearchAttributes([
    { key: RipcordService, value: input.service },
    { key: RipcordEnvironment, value: input.environment },
    { key: RipcordVersion, value: input.version },
    { key: RipcordPhase, value: 'admit' },
  ]);
  const admitted = await admitDeployment(input);

  status.phase = 'watch';
  upsertSearchAttributes([{ key: RipcordPhase, value: 'watch' }]);
  for (let elapsed = 0; elapsed < input.watchSeconds; elapsed += input.intervalSeconds) {
    await sleep(Math.min(input.intervalSeconds, input.watchSeconds - elapsed) * 1000);
    status.evaluations += 1;
  }

  status.phase = 'close';
  status.outcome = 'promoted';
  upsertSearchAttributes([
    { key: RipcordPhase, value: 'close' },
    { key: RipcordOutcome, value: 'promoted' },
  ]);
  return { outcome: 'promoted', evaluations: status.evaluations, admittedAt: admitted.admittedAt };
}
