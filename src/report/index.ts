import type { Client } from '@temporalio/client';
import type { GuardianHandle } from '../client/guardians';
import { guardianStatus } from '../client/guardians';
import { loadScenarioFile } from '../simulate/scenario-files';
import type { GuardianStatus } from '../model/guardian';
import type { StoredEntry } from '../security/audit-chain';
import { auditTrailView } from './audit-trail';
import { fetchGuardianHistory } from './history';
import { buildReport, type DeploymentReport, type ReportInputs } from './model';

export { buildReport, type DeploymentReport } from './model';
export { renderText } from './text';
export { renderHtml } from './html';
export { fetchGuardianHistory, HistoryDecodeError, type GuardianHistory } from './history';
export { auditTrailView, type AuditTrailView } from './audit-trail';

/** A running guardian's worker answers within this; a closed one's only if a worker still polls. */
const RUNNING_QUERY_MS = 10_000;
const CLOSED_QUERY_MS = 2_000;

export interface CollectOptions {
  /** The audit trail, already chosen by the caller (file or database); absent: none read. */
  trail?: { where: string; read(): Promise<StoredEntry[]> };
  /** When the regression began, as a time; otherwise a replayed scenario's own record of it, if readable. */
  onsetAt?: string;
}

async function liveStatus(
  client: Client,
  handle: GuardianHandle,
  running: boolean,
): Promise<GuardianStatus | undefined> {
  const deadline = Date.now() + (running ? RUNNING_QUERY_MS : CLOSED_QUERY_MS);
  try {
    return await client.connection.withDeadline(deadline, () => guardianStatus(handle));
  } catch {
    return undefined;
  }
}

/**
 * The onset a scenario file records (`truth.onsetIndex`): known for a
 * rehearsal, shown and never used to decide. Unreadable here: unknown.
 */
async function scenarioOnset(file: string | undefined): Promise<ReportInputs['onset']> {
  if (!file) return undefined;
  try {
    const { scenario } = await loadScenarioFile(file);
    const truth = scenario.truth;
    if (truth?.regression && truth.onsetIndex !== undefined) {
      return { index: truth.onsetIndex, source: "as the replayed scenario's truth records it" };
    }
  } catch {
    // The file lives where the worker ran; not having it here only means the onset is unknown.
  }
  return undefined;
}

/** Everything the report shows about one guardian, read from Temporal and the audit trail. */
export async function collectReport(
  client: Client,
  handle: GuardianHandle,
  options: CollectOptions = {},
): Promise<DeploymentReport> {
  const described = await handle.describe();
  const running = described.status.name === 'RUNNING';
  const history = await fetchGuardianHistory(client, handle.workflowId);
  const live = await liveStatus(client, handle, running);
  const trail = options.trail
    ? auditTrailView(options.trail.where, await options.trail.read(), handle.workflowId)
    : undefined;
  const onset: ReportInputs['onset'] = options.onsetAt
    ? { at: options.onsetAt, source: 'as given by --onset' }
    : await scenarioOnset(history.runs[0]?.input.replay?.scenarioFile);
  const report = buildReport({
    history,
    ...(live ? { live } : {}),
    ...(trail ? { trail } : {}),
    ...(onset ? { onset } : {}),
  });
  if (running && !live) {
    report.notes.push(
      `The guardian is running but did not answer its status query: is a ripcord worker serving task queue "${described.taskQueue}"?`,
    );
  }
  return report;
}
