import { statSync } from 'node:fs';
import { firstLine } from '../text/lines';
import path from 'node:path';
import { SECRET_REF_PATTERN } from '../policy/schema/common';
import { keySetResolver, readKeySet } from '../security/action-tokens';
import { loadAuditSigner } from '../security/audit-signing';
import { keyringFromConfig } from '../security/codec/data-converter';
import type { Keyring } from '../security/codec';
import { envSecretProvider, resolveSecret, type SecretProvider, secretName } from '../security/secrets';
import type { TargetRegistry } from '../targets';
import { loadTargetsFile, targetRegistryFromFile, type WorkerTargetsFile } from './targets-file';

/**
 * Everything a worker will need later, checked before it starts (issue 17: a
 * worker with a missing --approval-keys file started, said it verified
 * tokens, and failed only when someone acted mid-incident). Each problem is
 * one line that names the flag (or the variable behind it) and the file or
 * secret; secret values are never read into a message.
 */

/** A setting and where it came from: the flag, or the environment variable behind it. */
export interface Setting {
  value: string;
  /** The flag that names it, e.g. `--approval-keys`. */
  label: string;
  /** Set by an environment variable rather than the flag: its name, said after the problem. */
  variable?: string;
}

export function setting(flag: string, flagValue: string | undefined, variable: string, env = process.env) {
  if (flagValue) return { value: flagValue, label: flag };
  const fromEnv = env[variable];
  return fromEnv ? { value: fromEnv, label: flag, variable } : undefined;
}

export interface PreflightInput {
  approvalKeys?: Setting;
  auditKey?: Setting;
  auditDb?: Setting;
  /** The --codec-keys flag (the environment is read by keyringFromConfig). */
  codecKeys?: string;
  targets?: Setting;
  /** A dry run sends steps to the recording target: the targets file is not used. */
  dryRun: boolean;
}

export interface PreflightResult {
  problems: string[];
  auditKid?: string;
  auditDatabase?: string;
  keyring?: Keyring;
  targets?: TargetRegistry;
}

export interface PreflightOptions {
  env?: NodeJS.ProcessEnv;
  secrets?: SecretProvider;
  /** Fetches a remote key set (tests replace it); default: fetch with a 5 s timeout. */
  fetchKeySet?: (url: string) => Promise<unknown>;
}

export async function preflightWorker(
  input: PreflightInput,
  options: PreflightOptions = {},
): Promise<PreflightResult> {
  const env = options.env ?? process.env;
  const secrets = options.secrets ?? envSecretProvider(env);
  const problems: string[] = [];
  const result: PreflightResult = { problems };
  const check = <T>(label: string, run: () => T, variable?: string): T | undefined => {
    try {
      return run();
    } catch (err) {
      problems.push(`${label}: ${firstLine((err as Error).message)}${via(variable)}`);
      return undefined;
    }
  };

  if (input.approvalKeys) {
    const problem = await approvalKeysProblem(input.approvalKeys.value, options.fetchKeySet ?? fetchKeySet);
    if (problem) problems.push(`${input.approvalKeys.label}: ${problem}${via(input.approvalKeys.variable)}`);
  }
  if (input.auditKey) {
    const { value, label, variable } = input.auditKey;
    result.auditKid = check(label, () => loadAuditSigner(value).kid, variable);
  }
  if (input.auditDb) {
    const { value, label, variable } = input.auditDb;
    result.auditDatabase = check(
      label,
      () => (SECRET_REF_PATTERN.test(value) ? resolveSecret(value, secrets) : value),
      variable,
    );
  }
  const codecVariable = input.codecKeys
    ? undefined
    : env.RIPCORD_CODEC_KEYS
      ? 'RIPCORD_CODEC_KEYS'
      : 'RIPCORD_CODEC_KEYRING';
  result.keyring = check('--codec-keys', () => keyringFromConfig(input.codecKeys, env), codecVariable);
  if (input.targets && !input.dryRun) {
    const { value: file, variable } = input.targets;
    const label = `${input.targets.label}${via(variable)}`;
    let loaded: WorkerTargetsFile | undefined;
    try {
      loaded = loadTargetsFile(file);
    } catch (err) {
      // A file with several mistakes says each, on its own line.
      const [head, ...issues] = (err as Error).message.split('\n').map((line) => line.trim());
      if (issues.length === 0) problems.push(`${label}: ${head}`);
      else for (const issue of issues) problems.push(`${label} ${file}: ${issue}`);
    }
    if (loaded) {
      const before = problems.length;
      for (const { where, reference } of secretReferences(loaded)) {
        const name = secretName(reference);
        if (secrets.get(name) === undefined)
          problems.push(
            `${label} ${file}: ${where}: secret "${name}" is not set (${secrets.describe(name)})`,
          );
      }
      for (const { where, file: needed } of requiredFiles(loaded)) {
        if (!exists(needed)) problems.push(`${label} ${file}: ${where}: ${needed} does not exist`);
      }
      if (problems.length === before)
        result.targets = check(`${label} ${file}`, () =>
          targetRegistryFromFile(loaded, path.dirname(path.resolve(file))),
        );
    }
  }
  return result;
}

/** What is wrong with a JWKS file or URL, or undefined when it holds public keys. */
async function approvalKeysProblem(
  location: string,
  fetch: (url: string) => Promise<unknown>,
): Promise<string | undefined> {
  try {
    if (/^https?:\/\//i.test(location)) {
      keySetResolver(location); // https off loopback, a well-formed URL
      const document = await fetch(location);
      const keys = (document as { keys?: unknown } | null)?.keys;
      if (!Array.isArray(keys)) return `key set ${location}: expected { "keys": [ ... ] }`;
      if (keys.length === 0) return `key set ${location} holds no keys: every signed action would be refused`;
      return undefined;
    }
    if (!exists(location))
      return `key set ${location} does not exist (make one with \`ripcord token keygen\`)`;
    const { keys } = await readKeySet(location);
    if (keys.length === 0) return `key set ${location} holds no keys: every signed action would be refused`;
    return undefined;
  } catch (err) {
    return firstLine((err as Error).message);
  }
}

async function fetchKeySet(url: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(5_000), redirect: 'error' });
  } catch (err) {
    throw new Error(`key set ${new URL(url).origin} cannot be reached: ${causeOf(err)}`);
  }
  if (!response.ok) throw new Error(`key set ${url} answered HTTP ${response.status}`);
  try {
    return await response.json();
  } catch {
    throw new Error(`key set ${url} is not JSON`);
  }
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string } }).cause;
  if (cause?.code) return cause.code;
  return (err as Error).name === 'TimeoutError' ? 'no answer within 5 s' : firstLine((err as Error).message);
}

/** Every `${secret:NAME}` the targets file names, with where it is (`targets.flags.tokenSecret`). */
export function secretReferences(config: WorkerTargetsFile): Array<{ where: string; reference: string }> {
  const found: Array<{ where: string; reference: string }> = [];
  const walk = (value: unknown, where: string) => {
    if (typeof value === 'string') {
      if (SECRET_REF_PATTERN.test(value)) found.push({ where, reference: value });
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => walk(item, `${where}.${index}`));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) walk(item, `${where}.${key}`);
    }
  };
  walk(config.targets, 'targets');
  return found;
}

/** Files the targets read and never create: a release directory, the keys releases are signed with. */
function requiredFiles(config: WorkerTargetsFile): Array<{ where: string; file: string }> {
  const artifacts = config.targets.artifacts as Record<string, unknown> | undefined;
  const files: Array<{ where: string; file: string }> = [];
  for (const field of ['releasesDir', 'trustedKeysFile']) {
    const value = artifacts?.[field];
    if (typeof value === 'string') files.push({ where: `targets.artifacts.${field}`, file: value });
  }
  return files;
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

function via(variable: string | undefined): string {
  return variable ? ` (set by $${variable})` : '';
}
