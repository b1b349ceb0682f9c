import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import {
  formatIssue,
  loadPolicyFile,
  PolicyReadError,
  PolicyValidationError,
  type LoadedPolicy,
} from '../policy';
import { SHA256_DIGEST, SHA256_DIGEST_FORM } from '../policy/digest';
import { closestKey } from '../policy/schema-walk';
import { readSourceText } from '../policy/source-text';
import { findCycle } from './graph';

/**
 * release.yaml: several deployments that ship together (docs/policy.md,
 * Releases). It names the members (service, versions, the policy that judges
 * each, the services each calls), the services outside the release whose
 * health tells a platform incident from the release's fault, and how a
 * rollback spreads (`mode`). Every member is still judged by its own policy;
 * the release only says how their verdicts combine.
 *
 * Problems come back all at once in a ReleaseFileError, each naming the field
 * (`members[1].dependsOn[0]: "paymnts" is neither a member nor an outside
 * service`); a member's policy problems are listed under its `policy` field.
 * A release file that cannot be read at all is a PolicyReadError, as a policy
 * file that cannot be read.
 */
export const RELEASE_API_VERSION = 'ripcord/v1';
export const RELEASE_KIND = 'Release';
/** After a culprit's rollback, how long its dependents settle before they are judged again (seconds). */
export const DEFAULT_SETTLE_SECONDS = 60;

export interface LoadedReleaseMember {
  service: string;
  version: string;
  previousVersion: string;
  dependsOn: string[];
  artifactDigest?: string;
  previousDigest?: string;
  policy: LoadedPolicy;
}

export interface LoadedOutsideService {
  service: string;
  version: string;
  dependsOn: string[];
  policy: LoadedPolicy;
  /** True when the file gives it no policy and it reads the first member's (its series and sources, for its own name). */
  policyDefaulted: boolean;
}

export interface LoadedRelease {
  file: string;
  name: string;
  environment: string;
  description?: string;
  mode: 'independent' | 'together';
  settleSeconds: number;
  /** As written; absent: the longest member watch. */
  watchSeconds?: number;
  members: LoadedReleaseMember[];
  outside: LoadedOutsideService[];
}

/** A release file that cannot be used, with every problem found in it. */
export class ReleaseFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid ${file}: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ReleaseFileError';
  }
}

const MAX_RELEASE_BYTES = 1024 * 1024;

// Names end up in workflow ids, search attributes and Prometheus labels (as src/activities/admit.ts checks them).
const RELEASE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._+:@-]{0,127}$/;
const DNS_LABEL_WORDS = 'a DNS label: lowercase letters, digits and "-", not starting or ending with "-"';

const requiredOr =
  (message: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? 'is required' : message;

const Service = z.string({ error: requiredOr(`must be ${DNS_LABEL_WORDS}`) }).regex(DNS_LABEL, {
  error: `must be ${DNS_LABEL_WORDS}`,
});

const Version = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? 'is required'
        : typeof issue.input === 'number'
          ? `is the number ${String(issue.input)}: quote it ('${String(issue.input)}') so YAML keeps the version as written`
          : 'must be a version string',
  })
  .regex(VERSION, { error: 'must be 1-128 characters of letters, digits and . _ + : @ -' });

const Digest = z
  .string({ error: `must be ${SHA256_DIGEST_FORM}` })
  .regex(SHA256_DIGEST, { error: `must be ${SHA256_DIGEST_FORM}` });

const PolicyPath = z
  .string({ error: requiredOr('must be the path of a policy file, relative to the release file') })
  .min(1, { error: 'must be the path of a policy file, relative to the release file' });

const DependsOn = z
  .array(z.string({ error: 'must name a service' }).min(1, { error: 'must name a service' }), {
    error: 'must be a list of services',
  })
  .default([]);

const Member = z.strictObject(
  {
    service: Service,
    version: Version,
    previousVersion: Version,
    policy: PolicyPath,
    dependsOn: DependsOn,
    artifactDigest: Digest.optional(),
    previousDigest: Digest.optional(),
  },
  { error: 'must be a mapping with service, version, previousVersion and policy' },
);

const Outside = z.strictObject(
  {
    service: Service,
    version: Version,
    policy: PolicyPath.optional(),
    dependsOn: DependsOn,
  },
  { error: 'must be a mapping with service and version' },
);

export const ReleaseFileShape = z.strictObject(
  {
    apiVersion: z.literal(RELEASE_API_VERSION, { error: `must be "${RELEASE_API_VERSION}"` }),
    kind: z.literal(RELEASE_KIND, { error: `must be "${RELEASE_KIND}"` }),
    metadata: z.strictObject(
      {
        name: z.string({ error: requiredOr('must be a string') }).regex(RELEASE_NAME, {
          error:
            'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit (it becomes part of a workflow id)',
        }),
        environment: Service,
        description: z.string({ error: 'must be a string' }).max(2000).optional(),
      },
      { error: requiredOr('must be a mapping with name and environment') },
    ),
    rollback: z
      .strictObject(
        {
          mode: z.enum(['independent', 'together'], {
            error: requiredOr('must be "independent" or "together"'),
          }),
          settleSeconds: z
            .number({ error: 'must be a number of seconds' })
            .int({ error: 'must be a whole number of seconds' })
            .min(0, { error: 'must be 0 or more' })
            .max(3600, { error: 'must be at most 3600 (an hour)' })
            .default(DEFAULT_SETTLE_SECONDS),
        },
        { error: requiredOr('must be a mapping with mode') },
      )
      .default({ mode: 'independent', settleSeconds: DEFAULT_SETTLE_SECONDS }),
    watchSeconds: z
      .number({ error: 'must be a number of seconds' })
      .int({ error: 'must be a whole number of seconds' })
      .positive({ error: 'must be more than 0' })
      .max(7 * 24 * 3600, { error: 'must be at most a week (604800)' })
      .optional(),
    members: z
      .array(Member, { error: requiredOr('must be a list of members') })
      .min(1, { error: 'must list at least one member' }),
    outside: z.array(Outside, { error: 'must be a list of services' }).default([]),
  },
  { error: 'must be a mapping (apiVersion, kind, metadata, members, ...)' },
);
export type ReleaseFileShape = z.infer<typeof ReleaseFileShape>;

/** `members[1].dependsOn[0]` from zod's path. */
function fieldPath(segments: readonly PropertyKey[]): string {
  return segments
    .map((s) => (typeof s === 'number' ? `[${s}]` : `.${String(s)}`))
    .join('')
    .replace(/^\./, '');
}

const KNOWN_KEYS: Record<string, readonly string[]> = {
  '': Object.keys(ReleaseFileShape.shape),
  metadata: ['name', 'environment', 'description'],
  rollback: ['mode', 'settleSeconds'],
  member: Object.keys(Member.shape),
  outside: Object.keys(Outside.shape),
};

function knownKeys(segments: readonly PropertyKey[]): readonly string[] {
  if (segments.length === 0) return KNOWN_KEYS[''] ?? [];
  if (segments[0] === 'members') return KNOWN_KEYS.member ?? [];
  if (segments[0] === 'outside') return KNOWN_KEYS.outside ?? [];
  return KNOWN_KEYS[String(segments[0])] ?? [];
}

function shapeProblems(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    const segments = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(segments);
      return issue.keys.map((key) => {
        const suggestion = closestKey(key, known);
        const hint =
          suggestion === undefined ? `known: ${known.join(', ')}` : `did you mean "${suggestion}"?`;
        return `${fieldPath([...segments, key])}: is not a known key (${hint})`;
      });
    }
    const where = fieldPath(segments);
    return [where === '' ? issue.message : `${where}: ${issue.message}`];
  });
}

/** A list entry's fields as far as they are usable, for the checks that relate entries when the shape is broken. */
interface Entry {
  where: string;
  service: string | undefined;
  dependsOn: unknown[];
}

function entriesOf(data: unknown, list: 'members' | 'outside'): Entry[] {
  const raw = (data as Record<string, unknown> | null)?.[list];
  if (!Array.isArray(raw)) return [];
  return raw.map((item: unknown, i) => {
    const entry = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    return {
      where: `${list}[${i}]`,
      service: typeof entry.service === 'string' ? entry.service : undefined,
      dependsOn: Array.isArray(entry.dependsOn) ? (entry.dependsOn as unknown[]) : [],
    };
  });
}

/** Duplicate services, dependencies on unknown services or on themselves, cycles; equal versions. */
function graphProblems(data: unknown): string[] {
  const problems: string[] = [];
  const members = entriesOf(data, 'members');
  const outside = entriesOf(data, 'outside');
  const first = new Map<string, string>();
  for (const entry of [...members, ...outside]) {
    if (entry.service === undefined) continue;
    const earlier = first.get(entry.service);
    if (earlier !== undefined) {
      problems.push(`${entry.where}.service: "${entry.service}" is already listed at ${earlier}.service`);
    } else {
      first.set(entry.service, entry.where);
    }
  }
  const memberNames = new Set(members.flatMap((m) => (m.service === undefined ? [] : [m.service])));
  const outsideNames = new Set(outside.flatMap((o) => (o.service === undefined ? [] : [o.service])));
  for (const entry of [...members, ...outside]) {
    entry.dependsOn.forEach((dependency, i) => {
      if (typeof dependency !== 'string' || dependency === '') return; // the shape check names it
      const where = `${entry.where}.dependsOn[${i}]`;
      if (dependency === entry.service) {
        problems.push(`${where}: "${dependency}" is the service itself: a service cannot depend on itself`);
      } else if (!memberNames.has(dependency) && !outsideNames.has(dependency)) {
        const known = [...memberNames, ...outsideNames].sort();
        const suggestion = closestKey(dependency, known);
        problems.push(
          `${where}: "${dependency}" is neither a member nor an outside service` +
            (suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`),
        );
      } else if (entry.dependsOn.indexOf(dependency) !== i) {
        problems.push(`${where}: names "${dependency}" twice`);
      }
    });
  }
  const graph: Record<string, string[]> = {};
  for (const entry of [...members, ...outside]) {
    if (entry.service === undefined || graph[entry.service] !== undefined) continue;
    graph[entry.service] = entry.dependsOn.filter(
      (d): d is string => typeof d === 'string' && d !== entry.service,
    );
  }
  const cycle = findCycle(graph);
  if (cycle !== null) {
    const where = first.get(cycle[0] as string) ?? 'members';
    problems.push(`${where}.dependsOn: dependency cycle ${cycle.join(' → ')}: the graph must be acyclic`);
  }
  const raw = (data as Record<string, unknown> | null)?.members;
  if (Array.isArray(raw)) {
    raw.forEach((item: unknown, i) => {
      const m = item as Record<string, unknown> | null;
      if (typeof m?.version === 'string' && m.version === m.previousVersion) {
        problems.push(
          `members[${i}].previousVersion: "${m.version}" equals version: the canary and the baseline are told apart by version`,
        );
      }
    });
  }
  return problems;
}

type PolicyLoad = { ok: true; loaded: LoadedPolicy } | { ok: false; problems: string[] };

async function loadPolicyQuietly(file: string): Promise<PolicyLoad> {
  try {
    return { ok: true, loaded: await loadPolicyFile(file) };
  } catch (error) {
    if (error instanceof PolicyValidationError) {
      return {
        ok: false,
        problems: [
          `is not a valid policy (${error.issues.length} problem(s))`,
          ...error.issues.map((issue) => `  ${formatIssue(issue)}`),
        ],
      };
    }
    if (error instanceof PolicyReadError) return { ok: false, problems: [error.message] };
    throw error;
  }
}

/**
 * Parses and checks a release file's text; `file` names it in problems and is
 * where the member policies' relative paths start. Loads every policy it
 * names. Throws ReleaseFileError listing every problem at once.
 */
export async function parseReleaseFileText(text: string, file: string): Promise<LoadedRelease> {
  if (text.trim() === '') throw new ReleaseFileError(file, ['the release file is empty']);
  const source = readSourceText(text, { json: /\.json$/i.test(file) });
  if ('issues' in source) throw new ReleaseFileError(file, source.issues.map(formatIssue));
  const data = source.document.data;
  const shape = ReleaseFileShape.safeParse(data);
  const problems = [...(shape.success ? [] : shapeProblems(shape.error.issues)), ...graphProblems(data)];
  if (!shape.success) throw new ReleaseFileError(file, problems);
  const release = shape.data;

  const dir = path.dirname(file);
  const cache = new Map<string, Promise<PolicyLoad>>();
  const policyAt = (relative: string): Promise<PolicyLoad> => {
    const absolute = path.resolve(dir, relative);
    let load = cache.get(absolute);
    if (load === undefined) {
      load = loadPolicyQuietly(absolute);
      cache.set(absolute, load);
    }
    return load;
  };
  const firstPolicy = release.members[0]?.policy as string;
  const checkPolicy = async (
    where: string,
    service: string,
    relative: string,
    own: boolean,
  ): Promise<LoadedPolicy | undefined> => {
    const load = await policyAt(relative);
    if (!load.ok) {
      // The first member's policy, borrowed by an outside service, is reported once, under that member.
      if (own) {
        const [head, ...rest] = load.problems;
        problems.push(`${where}.policy: ${relative}: ${head ?? ''}`, ...rest.map((p) => `  ${p}`));
      }
      return undefined;
    }
    const { metadata } = load.loaded.policy;
    if (own && metadata.service !== service) {
      problems.push(
        `${where}.policy: ${relative} is the policy of "${metadata.service}" (metadata.service), not of "${service}"`,
      );
    }
    if (metadata.environment !== release.metadata.environment) {
      if (own) {
        problems.push(
          `${where}.policy: ${relative} is for environment "${metadata.environment}" (metadata.environment), the release for "${release.metadata.environment}"`,
        );
      }
    }
    return load.loaded;
  };

  const members: LoadedReleaseMember[] = [];
  for (const [i, m] of release.members.entries()) {
    const policy = await checkPolicy(`members[${i}]`, m.service, m.policy, true);
    if (policy === undefined) continue;
    members.push({
      service: m.service,
      version: m.version,
      previousVersion: m.previousVersion,
      dependsOn: m.dependsOn,
      ...(m.artifactDigest === undefined ? {} : { artifactDigest: m.artifactDigest }),
      ...(m.previousDigest === undefined ? {} : { previousDigest: m.previousDigest }),
      policy,
    });
  }
  const outside: LoadedOutsideService[] = [];
  for (const [i, o] of release.outside.entries()) {
    const own = o.policy !== undefined;
    const policy = await checkPolicy(`outside[${i}]`, o.service, o.policy ?? firstPolicy, own);
    if (policy === undefined) continue;
    outside.push({
      service: o.service,
      version: o.version,
      dependsOn: o.dependsOn,
      policy,
      policyDefaulted: !own,
    });
  }

  if (release.watchSeconds !== undefined) {
    release.members.forEach((m, i) => {
      const policy = members.find((loaded) => loaded.service === m.service)?.policy;
      if (policy === undefined) return;
      const { intervalSeconds, warmupSeconds } = policy.policy.evaluation;
      const least = warmupSeconds + intervalSeconds;
      if ((release.watchSeconds as number) < least) {
        problems.push(
          `watchSeconds: ${release.watchSeconds}s is shorter than the warm-up plus one interval of members[${i}] (${least}s in ${m.policy}): its health would never be judged`,
        );
      }
    });
  }
  if (problems.length > 0) throw new ReleaseFileError(file, problems);
  return {
    file,
    name: release.metadata.name,
    environment: release.metadata.environment,
    ...(release.metadata.description === undefined ? {} : { description: release.metadata.description }),
    mode: release.rollback.mode,
    settleSeconds: release.rollback.settleSeconds,
    ...(release.watchSeconds === undefined ? {} : { watchSeconds: release.watchSeconds }),
    members,
    outside,
  };
}

async function readReleaseText(file: string): Promise<string> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new PolicyReadError(file, 'not a regular file');
    if (info.size > MAX_RELEASE_BYTES)
      throw new PolicyReadError(file, `larger than ${MAX_RELEASE_BYTES} bytes`);
    return await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof PolicyReadError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new PolicyReadError(file, code === 'ENOENT' ? 'no such file' : (code ?? String(error)));
  }
}

/** Reads and checks a release file and every policy it names (PolicyReadError when it cannot be read). */
export async function loadReleaseFile(file: string): Promise<LoadedRelease> {
  return parseReleaseFileText(await readReleaseText(file), file);
}

/**
 * Whether a file says `kind: Release` (a release file rather than a policy):
 * false when it cannot be read or parsed, so that the policy loader reports
 * that as it always has.
 */
export async function isReleaseFile(file: string): Promise<boolean> {
  let text: string;
  try {
    text = await readReleaseText(file);
  } catch {
    return false;
  }
  const source = readSourceText(text);
  if ('issues' in source) return false;
  const data = source.document.data;
  return typeof data === 'object' && data !== null && (data as { kind?: unknown }).kind === RELEASE_KIND;
}
