import { BacktestRefusedError, formatBacktest, runBacktest } from '../../backtest';
import { HistoryDecodeError } from '../../report/history';
import { UserFacingError } from '../errors';
import { EXIT } from '../exit-codes';
import { loadPolicyForCommand } from '../policy-input';
import { withSession } from '../temporal-session';

/** `ripcord backtest`: a policy replayed on the readings of past deployments (src/backtest). */

export interface BacktestFlags {
  policy: string;
  /** Seconds. */
  since?: number;
  service?: string;
  env?: string;
  includeRehearsals?: boolean;
  limit: number;
  json?: boolean;
  profile?: string;
}

export const DEFAULT_SINCE_SECONDS = 30 * 86_400;

export async function backtest(flags: BacktestFlags): Promise<void> {
  const loaded = await loadPolicyForCommand(flags.policy);
  const { metadata } = loaded.policy;
  const service = flags.service ?? metadata.service;
  if (service !== metadata.service) {
    throw new UserFacingError(
      `${flags.policy} is the policy of ${metadata.service}, not of ${service}: its readings of ${service} would be ` +
        `judged by thresholds written for another service (backtest a copy with metadata.service: ${service})`,
      EXIT.usage,
    );
  }
  const environment = flags.env ?? metadata.environment;
  const since = new Date(Date.now() - (flags.since ?? DEFAULT_SINCE_SECONDS) * 1000);
  await withSession(flags.profile, async ({ client }) => {
    const result = await runBacktest(client, {
      policy: loaded,
      policyFile: flags.policy,
      service,
      environment,
      since,
      includeRehearsals: flags.includeRehearsals === true,
      limit: flags.limit,
    }).catch((err: unknown) => {
      if (err instanceof HistoryDecodeError || err instanceof BacktestRefusedError)
        throw new UserFacingError(err.message, EXIT.refusedOrFailed);
      throw err;
    });
    if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(formatBacktest(result));
    if (result.deployments.length === 0) {
      if (!flags.json) {
        process.stderr.write(
          `ripcord: no finished guardian of ${service} in ${environment} since ${since.toISOString()}` +
            `${flags.includeRehearsals ? '' : ' (rehearsals left out: --include-rehearsals)'}\n`,
        );
      }
      process.exitCode = EXIT.refusedOrFailed;
    }
  });
}
