import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  defaultSeries,
  prometheusAt,
  recordScenario,
  RecordError,
  type RecordedSeriesSpec,
  seriesOfPolicy,
} from '../../backtest/record';
import { scenarioLength } from '../../simulate/scenario';
import { UserFacingError } from '../errors';
import { EXIT } from '../exit-codes';
import { loadPolicyForCommand } from '../policy-input';

/** `ripcord scenario record`: a window of Prometheus history as a scenario file (src/backtest/record.ts). */

export interface RecordFlags {
  service: string;
  baseline: string;
  canary: string;
  /** Unix seconds. */
  from: number;
  to: number;
  out: string;
  policy?: string;
  /** Seconds. */
  interval?: number;
  prometheus?: string;
  env?: string;
  bearerTokenEnv?: string;
  name?: string;
}

const DEFAULT_INTERVAL_SECONDS = 30;
const TIMEOUT_SECONDS = 30;

export async function record(flags: RecordFlags): Promise<void> {
  if (!(flags.to > flags.from)) throw new UserFacingError('--to must be after --from', EXIT.usage);
  if (flags.policy === undefined && flags.prometheus === undefined) {
    throw new UserFacingError('pass --prometheus <url>, or --policy to read its sources', EXIT.usage);
  }
  const auth = flags.bearerTokenEnv
    ? { scheme: 'bearer' as const, secret: `\${secret:${flags.bearerTokenEnv}}` }
    : undefined;
  const loaded = flags.policy === undefined ? undefined : await loadPolicyForCommand(flags.policy);
  let series: RecordedSeriesSpec[];
  try {
    series = loaded
      ? seriesOfPolicy(loaded.policy, (source) =>
          prometheusAt(flags.prometheus ?? source.url, auth ?? source.auth, source.timeoutSeconds),
        )
      : defaultSeries(prometheusAt(flags.prometheus!, auth, TIMEOUT_SECONDS));
  } catch (err) {
    if (err instanceof RecordError) throw new UserFacingError(err.message, EXIT.usage);
    throw err;
  }
  const intervalSeconds =
    flags.interval ?? loaded?.policy.evaluation.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS;
  try {
    const { scenario, warnings } = await recordScenario({
      service: flags.service,
      environment: flags.env ?? loaded?.policy.metadata.environment ?? 'production',
      baseline: flags.baseline,
      canary: flags.canary,
      from: flags.from,
      to: flags.to,
      intervalSeconds,
      series,
      ...(flags.name ? { name: flags.name } : {}),
    });
    await mkdir(path.dirname(path.resolve(flags.out)), { recursive: true });
    await writeFile(flags.out, `${JSON.stringify(scenario)}\n`);
    for (const warning of warnings) process.stderr.write(`ripcord: warning: ${warning}\n`);
    const names = Object.keys(scenario.series);
    process.stdout.write(
      `${flags.out}: ${scenarioLength(scenario)} intervals of ${intervalSeconds} s, ${names.length} series ` +
        `(${names.join(', ')}), no truth\n`,
    );
  } catch (err) {
    if (err instanceof RecordError) throw new UserFacingError(err.message, EXIT.refusedOrFailed);
    throw err;
  }
}
