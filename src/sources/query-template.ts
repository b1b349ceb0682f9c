import { type QUERY_PLACEHOLDERS } from '../policy';
import type { GroupName, HealthReadRequest } from './types';

type Placeholder = (typeof QUERY_PLACEHOLDERS)[number];

/** The values a query's placeholders take for one group in one interval. */
export function queryVariables(request: HealthReadRequest, group: GroupName): Record<Placeholder, string> {
  return {
    group,
    version: request.groups[group].version,
    service: request.deployment.service,
    environment: request.deployment.environment,
    interval: `${request.intervalSeconds}s`,
  };
}

/**
 * Fills `{{name}}` placeholders. An unknown placeholder is an error, not an
 * empty string: a query that silently lost its version filter would compare the
 * whole fleet with itself and call it healthy.
 */
export function renderQuery(template: string, variables: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_match, name: string) => {
    const value = variables[name];
    if (value === undefined) throw new Error(`unknown placeholder {{${name}}} in query`);
    return value;
  });
}
