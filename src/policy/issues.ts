import type { z } from 'zod';
import { isSecretKey } from './schema/common';
import { closestKey, knownKeysAt } from './schema-walk';

export interface PolicyIssue {
  /** Dotted path into the document, e.g. `signals.0.tolerance.relative`; '' for the document itself. */
  path: string;
  /** 1-based line in the source file, when it can be located. */
  line?: number;
  expected: string;
  found: string;
  message: string;
}

/** A policy that cannot be used, with every problem found in it. */
export class PolicyValidationError extends Error {
  constructor(
    readonly issues: PolicyIssue[],
    readonly filename = '<policy>',
  ) {
    super(`${filename}: ${issues.length} problem(s)\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
    this.name = 'PolicyValidationError';
  }
}

export function formatIssue(issue: PolicyIssue): string {
  const where = issue.path === '' ? '(document)' : issue.path;
  const line = issue.line === undefined ? '' : ` (line ${issue.line})`;
  return `${where}${line}: ${issue.message}; expected ${issue.expected}, found ${issue.found}`;
}

export type PathSegments = ReadonlyArray<string | number>;
export type LineLocator = (path: PathSegments) => number | undefined;

/** The raw document value at a path; undefined when any step of the path is missing. */
export function valueAt(document: unknown, path: PathSegments): unknown {
  let value = document;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    if (!Object.prototype.hasOwnProperty.call(value, segment)) return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

export const MISSING = 'nothing (the key is missing)';

/**
 * Describes a value the way an author reads their file. Strings in secret
 * fields are never echoed, whatever they hold.
 */
export function describeValue(value: unknown, options: { redact?: boolean } = {}): string {
  if (value === undefined) return MISSING;
  if (value === null) return 'null (an empty value)';
  if (typeof value === 'string') {
    if (options.redact) return `a string of ${value.length} characters (not shown: it may be a secret)`;
    const quoted = JSON.stringify(value);
    return quoted.length > 80 ? `${quoted.slice(0, 77)}..."` : quoted;
  }
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '.nan (not a number)';
    if (!Number.isFinite(value)) return value > 0 ? '.inf (infinity)' : '-.inf (minus infinity)';
    return String(value);
  }
  if (typeof value === 'boolean') return String(value);
  if (ArrayBuffer.isView(value)) return 'binary data';
  if (Array.isArray(value)) return `a list of ${value.length} item(s)`;
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) return 'an empty mapping';
    const shown = keys.slice(0, 5).join(', ');
    return `a mapping with keys ${shown}${keys.length > 5 ? ', ...' : ''}`;
  }
  return `a value of type ${typeof value}`;
}

function isRedacted(path: PathSegments): boolean {
  return path.some(isSecretKey);
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  array: 'a list',
  null: 'null',
};

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function sizeBound(
  issue: { origin?: string; inclusive?: boolean },
  bound: unknown,
  kind: 'min' | 'max',
): string {
  const limit = Number(bound);
  switch (issue.origin) {
    case 'array':
      return kind === 'min' ? `at least ${plural(limit, 'item')}` : `at most ${plural(limit, 'item')}`;
    case 'string':
      if (kind === 'min' && limit === 1) return 'a non-empty string';
      return kind === 'min'
        ? `at least ${plural(limit, 'character')}`
        : `at most ${plural(limit, 'character')}`;
    default: {
      const op = kind === 'min' ? (issue.inclusive ? '≥' : '>') : issue.inclusive ? '≤' : '<';
      return `a number ${op} ${limit}`;
    }
  }
}

function listValues(values: readonly unknown[]): string {
  const shown = values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  return shown.length === 1 ? `exactly ${shown[0]}` : `one of: ${shown.join(', ')}`;
}

interface Mapped {
  path: PathSegments;
  expected: string;
  message: string;
  found?: string;
}

/** Turns one zod issue into one or more issues in the words of a policy author. */
function mapZodIssue(issue: z.core.$ZodIssue, document: unknown, root: z.ZodType): Mapped[] {
  const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
  const value = valueAt(document, path);
  switch (issue.code) {
    case 'invalid_type': {
      const expected = TYPE_NAMES[issue.expected] ?? `a ${issue.expected}`;
      if (value === undefined) return [{ path, expected, message: 'is required' }];
      if (issue.expected === 'int') return [{ path, expected, message: 'must be a whole number' }];
      return [{ path, expected, message: 'has the wrong type' }];
    }
    case 'too_small':
      return [{ path, expected: sizeBound(issue, issue.minimum, 'min'), message: 'is too small' }];
    case 'too_big':
      return [{ path, expected: sizeBound(issue, issue.maximum, 'max'), message: 'is too large' }];
    case 'invalid_value': {
      const expected = listValues(issue.values);
      if (value === undefined) return [{ path, expected, message: 'is required' }];
      return [{ path, expected, message: 'is not an allowed value' }];
    }
    case 'invalid_union': {
      const tagged = issue as typeof issue & { discriminator?: string; options?: unknown[] };
      if (tagged.discriminator !== undefined) {
        const allowed = (tagged.options ?? []).map(String);
        const expected = `one of: ${allowed.join(', ')}`;
        if (value === undefined) {
          return [{ path, expected, message: `is required: it says which kind of entry this is` }];
        }
        return [{ path, expected, message: `is not a known ${tagged.discriminator}` }];
      }
      return [{ path, expected: 'a string or a number', message: 'has the wrong type' }];
    }
    case 'unrecognized_keys': {
      const known = knownKeysAt(root, path, document) ?? [];
      return issue.keys.map((key) => {
        const suggestion = closestKey(key, known);
        return {
          path: [...path, key],
          expected: known.length > 0 ? `one of the known keys: ${known.join(', ')}` : 'no other keys',
          message: `is not a known key${suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`}`,
          found: JSON.stringify(key),
        };
      });
    }
    case 'invalid_key': {
      const key = path[path.length - 1];
      const inner = issue.issues[0]?.message ?? 'is not a valid name';
      return [
        {
          path,
          expected: inner.replace(/^must be /, ''),
          message: 'is not a valid name for an entry',
          found: JSON.stringify(key),
        },
      ];
    }
    case 'invalid_format':
      return [
        {
          path,
          expected: issue.message.replace(/^must be /, ''),
          message: 'does not have the required form',
        },
      ];
    case 'custom': {
      const params = (issue.params ?? {}) as { expected?: string; found?: string; redact?: boolean };
      const found = params.found ?? (params.redact ? describeValue(value, { redact: true }) : undefined);
      return [{ path, expected: params.expected ?? 'a valid value', message: issue.message, found }];
    }
    default:
      return [{ path, expected: 'a valid value', message: issue.message }];
  }
}

export function toPolicyIssue(mapped: Mapped, document: unknown, locate: LineLocator): PolicyIssue {
  const found =
    mapped.found ?? describeValue(valueAt(document, mapped.path), { redact: isRedacted(mapped.path) });
  const line = locate(mapped.path);
  return {
    path: mapped.path.join('.'),
    ...(line === undefined ? {} : { line }),
    expected: mapped.expected,
    found,
    message: mapped.message,
  };
}

export function zodIssuesToPolicyIssues(
  issues: readonly z.core.$ZodIssue[],
  document: unknown,
  root: z.ZodType,
  locate: LineLocator,
): PolicyIssue[] {
  return issues.flatMap((issue) =>
    mapZodIssue(issue, document, root).map((m) => toPolicyIssue(m, document, locate)),
  );
}

/** Sorted by line (issues without a line last), then path; exact repeats removed. */
export function orderIssues(issues: PolicyIssue[]): PolicyIssue[] {
  const seen = new Set<string>();
  const unique = issues.filter((issue) => {
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort(
    (a, b) =>
      (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER) ||
      a.path.localeCompare(b.path),
  );
}
