import type { Client } from '@temporalio/client';
import { listGuardians } from '../client/guardians';
import type { LoadedPolicy } from '../policy';
import { decisionConfigFromPolicy } from '../policy/decision-config';
import { fetchGuardianHistory } from '../report/history';
import { recordedDeployment, type RecordedDeployment } from './readings';
import { replayUnderPolicy, uncoveredSeries } from './replay';
import { backtestRow, type BacktestResult, summarize } from './summary';

export { formatBacktest } from './format';
export type { BacktestResult, BacktestRow, BacktestSummary, Change } from './summary';

/**
 * `ripcord backtest`: what a policy would have decided on the deployments
 * that guardians really watched. Their guardians are found through
 * visibility (search attributes), their readings read from their workflow
 * histories, and those readings replayed through the decision core under the
 * new policy (docs/policy.md, "Backtest a policy change").
 */

export interface BacktestOptions {
  policy: LoadedPolicy;
  /** The policy file, as the output names it. */
  policyFile: string;
  service: string;
  environment: string;
  since: Date;
  includeRehearsals: boolean;
  /** Most guardians read (newest first). */
  limit: number;
}

/** The recorded readings cannot answer for this policy: which series, in which deployments, and why. */
export class BacktestRefusedError extends Error {
  override readonly name = 'BacktestRefusedError';
}

function refusal(
  policyFile: string,
  problems: Array<{ deployment: RecordedDeployment; series: string; why: string; recorded: string[] }>,
): BacktestRefusedError {
  const bySeries = new Map<string, typeof problems>();
  for (const p of problems)
    bySeries.set(`${p.series}\0${p.why}`, [...(bySeries.get(`${p.series}\0${p.why}`) ?? []), p]);
  const lines = [...bySeries.values()].map((group) => {
    const first = group[0]!;
    const ids = group.map((p) => p.deployment.deployment.deploymentId);
    const shown =
      ids.length > 5 ? `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more` : ids.join(', ');
    const what =
      first.why === 'not-read'
        ? `not in the recorded readings (they hold ${first.recorded.join(', ') || 'nothing'})`
        : "read by another query than the policy's, so the recorded numbers are not what it reads";
    return `  series ${first.series}: ${what}; deployment${ids.length === 1 ? '' : 's'} ${shown}`;
  });
  return new BacktestRefusedError(
    `the recorded readings do not cover ${policyFile}, nothing backtested:\n${lines.join('\n')}\n` +
      '(a shorter --since leaves out deployments watched before the series was added or changed)',
  );
}

export async function runBacktest(client: Client, options: BacktestOptions): Promise<BacktestResult> {
  const { policy, hash } = options.policy;
  const config = decisionConfigFromPolicy(policy);
  const found = await listGuardians(
    client,
    { service: options.service, environment: options.environment, startedSince: options.since },
    options.limit,
  );
  const notes: string[] = [];
  if (found.length >= options.limit) {
    notes.push(`only the newest ${options.limit} guardians were read (--limit)`);
  }
  const rehearsals = found.filter((row) => row.rehearsal).length;
  if (!options.includeRehearsals && rehearsals > 0) {
    notes.push(`${rehearsals} rehearsal(s) left out (--include-rehearsals to backtest them too)`);
  }
  const skipped: BacktestResult['skipped'] = [];
  const recorded: RecordedDeployment[] = [];
  for (const row of found) {
    if (row.rehearsal && !options.includeRehearsals) continue;
    if (row.status === 'RUNNING') {
      skipped.push({ workflowId: row.workflowId, deploymentId: row.deploymentId, why: 'still running' });
      continue;
    }
    const deployment = recordedDeployment(await fetchGuardianHistory(client, row.workflowId));
    if (deployment.readings.length === 0) {
      skipped.push({
        workflowId: row.workflowId,
        deploymentId: row.deploymentId,
        why: `no readings recorded (${deployment.outcome ?? 'no outcome'})`,
      });
      continue;
    }
    recorded.push(deployment);
  }

  const problems = recorded.flatMap((deployment) =>
    uncoveredSeries(policy, config, deployment).map((u) => ({ deployment, ...u })),
  );
  if (problems.length > 0) throw refusal(options.policyFile, problems);

  recorded.sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
  const rows = recorded.map((deployment) =>
    backtestRow(deployment, replayUnderPolicy(policy, config, deployment)),
  );
  const intervals = new Set(recorded.map((d) => d.intervalSeconds));
  if ([...intervals].some((interval) => interval !== policy.evaluation.intervalSeconds)) {
    notes.push(
      `the policy evaluates every ${policy.evaluation.intervalSeconds} s; deployments read at another interval ` +
        `(${[...intervals].join(', ')} s) were replayed at their own, every duration in the policy unchanged`,
    );
  }
  const gaps = recorded.filter((d) => d.gaps.length > 0);
  if (gaps.length > 0) {
    notes.push(
      `${gaps.length} deployment(s) have intervals with no recorded reading, replayed as no data: ` +
        gaps.map((d) => `${d.deployment.deploymentId} (${d.gaps.join(', ')})`).join('; '),
    );
  }
  return {
    policy: {
      file: options.policyFile,
      hash,
      service: policy.metadata.service,
      environment: policy.metadata.environment,
      version: policy.metadata.version,
    },
    query: {
      service: options.service,
      environment: options.environment,
      since: options.since.toISOString(),
      includeRehearsals: options.includeRehearsals,
    },
    deployments: rows,
    skipped,
    notes,
    summary: summarize(rows),
  };
}
