import type { ResolvedConnection } from '../client/connection-profile';
import type { GuardianRow } from '../client/guardians';
import { GUARDIAN_WORKFLOW_TYPE } from '../workflows/messages';
import { formatTable } from './table';
import { DEFAULT_WEB_UI } from './temporal-session';

/** `ripcord list` as a table: one guardian per line, what a person scans for first. */
export function formatGuardianRows(rows: readonly GuardianRow[], options: { all: boolean }): string[] {
  if (rows.length === 0) return [options.all ? 'no guardians found' : 'no running guardians'];
  const dash = (value: string) => value || '-';
  return formatTable(
    ['DEPLOYMENT', 'SERVICE', 'ENV', 'VERSION', 'PHASE', 'OUTCOME', 'STARTED'],
    rows.map((row) => [
      dash(row.deploymentId),
      dash(row.service),
      dash(row.environment),
      dash(row.version),
      dash(row.phase),
      // A guardian stopped from outside has no outcome of its own: say how it ended instead.
      row.outcome || (row.status === 'RUNNING' ? '-' : row.status.toLowerCase()),
      row.startTime
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z'),
    ]),
  );
}

/** The Web UI's list of guardians in the profile's namespace. */
export function guardianListLink(conn: Pick<ResolvedConnection, 'webUi' | 'namespace'>): string {
  const base = (conn.webUi ?? DEFAULT_WEB_UI).replace(/\/$/, '');
  const query = encodeURIComponent(`WorkflowType="${GUARDIAN_WORKFLOW_TYPE}"`);
  return `${base}/namespaces/${encodeURIComponent(conn.namespace)}/workflows?query=${query}`;
}
