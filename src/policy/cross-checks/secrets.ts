import { isSecretKey, SECRET_REF_EXPECTED, secretRefProblem } from '../schema/common';
import type { CrossIssue, CrossRule } from './issue';

const MAX_DEPTH = 12;

/**
 * Looks at every secret-named field in the whole document, including fields
 * inside entries the schema rejected for other reasons: a credential pasted
 * into a policy must be reported whatever else is wrong around it. The messages
 * match the schema's own, so a field reported by both is listed once.
 */
export function plainSecretIssues(document: unknown): CrossIssue[] {
  const issues: CrossIssue[] = [];
  const seen = new Set<object>();
  const visit = (value: unknown, path: Array<string | number>): void => {
    if (typeof value !== 'object' || value === null || seen.has(value) || path.length > MAX_DEPTH) return;
    seen.add(value);
    const entries: Array<[string | number, unknown]> = Array.isArray(value)
      ? value.map((item, i) => [i, item])
      : Object.entries(value);
    for (const [key, child] of entries) {
      const childPath = [...path, key];
      if (isSecretKey(key) && typeof child === 'string') {
        const problem = secretRefProblem(child);
        if (problem !== undefined)
          issues.push({ path: childPath, message: problem, expected: SECRET_REF_EXPECTED });
      } else {
        visit(child, childPath);
      }
    }
  };
  visit(document, []);
  return issues;
}

export const secretsAreReferences: CrossRule = (view) => view.plainSecrets;
