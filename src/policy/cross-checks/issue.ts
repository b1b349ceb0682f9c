import type { PolicyView } from './view';

/** A problem that involves more than one field, found after each field passed on its own. */
export interface CrossIssue {
  path: Array<string | number>;
  message: string;
  expected: string;
  /** When absent, the value at `path` is described. */
  found?: string;
}

export type CrossRule = (view: PolicyView) => CrossIssue[];

export function oneOfNames(kind: string, names: Iterable<string>, plural = `${kind}s`): string {
  const list = [...names];
  return list.length === 0
    ? `the name of a ${kind} (none are defined)`
    : `one of the ${plural}: ${list.join(', ')}`;
}

export function duplicateNames<T>(
  items: Array<{ index: number; value: T }>,
  nameOf: (value: T) => string,
  pathOf: (index: number) => Array<string | number>,
  kind: string,
): CrossIssue[] {
  const firstIndex = new Map<string, number>();
  const issues: CrossIssue[] = [];
  for (const { index, value } of items) {
    const name = nameOf(value);
    const first = firstIndex.get(name);
    if (first === undefined) {
      firstIndex.set(name, index);
      continue;
    }
    issues.push({
      path: pathOf(index),
      message: `duplicates the name of ${kind} ${first}; names must be unique`,
      expected: `a ${kind} name not used before`,
    });
  }
  return issues;
}
