import { GUARDIAN_WORKFLOW_TYPE } from '../model/guardian';

/**
 * Links into the Temporal Web UI's workflow list. The namespace also holds
 * ripcord's helper workflows (the per-service rollback locks
 * `ripcord-rollback-lock/…` and the token claims `ripcord-token/…`), which
 * crowd an unfiltered list: every link here keeps to guardians, by the
 * visibility query the UI takes in its `?query=` parameter.
 */

/** The visibility query for guardians, of one service when it is named. */
export function guardiansQuery(service?: string): string {
  const quote = (v: string) => `"${v.replace(/["\\]/g, '')}"`;
  const clauses = [`WorkflowType=${quote(GUARDIAN_WORKFLOW_TYPE)}`];
  if (service) clauses.push(`RipcordService=${quote(service)}`);
  return clauses.join(' AND ');
}

/** The Web UI's list of guardians in a namespace, of one service when it is named. */
export function guardiansListUrl(webUi: string, namespace: string, service?: string): string {
  const base = webUi.replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(guardiansQuery(service))}`;
}

/** The service a guardian's workflow id names (`ripcord/<env>/<service>/<deployment-id>`, rehearsals alike). */
export function serviceOfWorkflowId(workflowId: string): string | undefined {
  const parts = workflowId.split('/');
  if (parts.length < 4 || !/^ripcord(-[a-z]+)?$/.test(parts[0]!)) return undefined;
  return parts[2] || undefined;
}

/** The line printed under a guardian's own link: the list of its service's guardians. */
export function serviceListLine(webUi: string, namespace: string, workflowId: string): string | undefined {
  const service = serviceOfWorkflowId(workflowId);
  if (!service) return undefined;
  return `guardians of ${service}: ${guardiansListUrl(webUi, namespace, service)}`;
}
