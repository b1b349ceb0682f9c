import { readFile, stat } from 'node:fs/promises';
import { contentHash } from './canonical';
import { crossFieldIssues, viewOfPolicy, viewOfRaw, type CrossIssue } from './cross-checks';
import { defaultedPaths } from './defaults';
import {
  describeValue,
  orderIssues,
  PolicyValidationError,
  toPolicyIssue,
  valueAt,
  zodIssuesToPolicyIssues,
  type LineLocator,
  type PolicyIssue,
} from './issues';
import type { Policy } from './schema/policy';
import { PolicyShape } from './schema/shape';
import { readSourceText } from './source-text';

export interface LoadedPolicy {
  policy: Policy;
  /** 'sha256:<hex>' of the canonical JSON of the normalised policy (defaults applied). */
  hash: string;
  filename: string;
  /** Dotted paths the author left out and the schema filled in (shown by `explain`). */
  defaultedPaths: string[];
}

/** The file could not be read at all (missing, unreadable, too large): not a policy problem. */
export class PolicyReadError extends Error {
  constructor(
    readonly filename: string,
    reason: string,
  ) {
    super(`cannot read ${filename}: ${reason}`);
    this.name = 'PolicyReadError';
  }
}

const MAX_POLICY_BYTES = 1024 * 1024;

export async function loadPolicyFile(path: string): Promise<LoadedPolicy> {
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new PolicyReadError(path, 'not a regular file');
    if (info.size > MAX_POLICY_BYTES)
      throw new PolicyReadError(path, `larger than ${MAX_POLICY_BYTES} bytes`);
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof PolicyReadError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new PolicyReadError(path, code === 'ENOENT' ? 'no such file' : (code ?? String(error)));
  }
  return parsePolicyText(text, { filename: path });
}

/** Parses and validates a policy; throws PolicyValidationError listing every problem at once. */
export function parsePolicyText(text: string, opts: { filename: string }): LoadedPolicy {
  if (text.trim() === '') {
    throw new PolicyValidationError(
      [
        {
          path: '',
          expected: 'a rollback policy',
          found: 'an empty file',
          message: 'the policy file is empty',
        },
      ],
      opts.filename,
    );
  }
  const source = readSourceText(text, { json: /\.json$/i.test(opts.filename) });
  if ('issues' in source) throw new PolicyValidationError(source.issues, opts.filename);
  const { data, locate } = source.document;
  const result = validatePolicyData(data, locate);
  if (!result.ok) throw new PolicyValidationError(result.issues, opts.filename);
  return {
    policy: result.policy,
    hash: contentHash(result.policy),
    filename: opts.filename,
    defaultedPaths: defaultedPaths(data, result.policy),
  };
}

export type PolicyValidation = { ok: true; policy: Policy } | { ok: false; issues: PolicyIssue[] };

/**
 * Checks plain data (already parsed from a file) against the schema and the
 * cross-field rules. When the shape itself is broken the rules still run over
 * the parts that are valid, so the author sees every problem in one pass.
 */
export function validatePolicyData(data: unknown, locate: LineLocator = () => undefined): PolicyValidation {
  const shape = PolicyShape.safeParse(data);
  const view = shape.success ? viewOfPolicy(shape.data) : viewOfRaw(data);
  const schemaIssues = shape.success
    ? []
    : zodIssuesToPolicyIssues(shape.error.issues, data, PolicyShape, locate);
  const effective = shape.success ? shape.data : effectiveSections(data);
  const crossIssues = crossFieldIssues(view).map((issue) => withEffectiveValue(issue, data, effective));
  const crossPolicyIssues = crossIssues.map((issue) => toPolicyIssue(issue, data, locate));
  const issues = orderIssues([...schemaIssues, ...crossPolicyIssues]);
  if (shape.success && issues.length === 0) return { ok: true, policy: shape.data };
  return { ok: false, issues };
}

/** Each top-level section parsed on its own: defaults applied where that section is valid. */
function effectiveSections(data: unknown): Record<string, unknown> {
  const raw = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  const sections: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(PolicyShape.shape)) {
    const parsed = schema.safeParse(raw[key]);
    sections[key] = parsed.success ? parsed.data : raw[key];
  }
  return sections;
}

// A rule may object to a value the author never wrote (a default): say so rather than "missing".
function withEffectiveValue(issue: CrossIssue, data: unknown, effective: unknown): CrossIssue {
  if (issue.found !== undefined || valueAt(data, issue.path) !== undefined) return issue;
  const value = valueAt(effective, issue.path);
  if (value === undefined) return issue;
  return { ...issue, found: `${describeValue(value)} (the default)` };
}
