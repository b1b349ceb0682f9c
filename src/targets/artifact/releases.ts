import { randomBytes, type KeyObject } from 'node:crypto';
import {
  cp,
  mkdir,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { Digest } from '../../policy/schema/common';
import { signDigest } from '../../security/artifact-signature';
import { readJsonResponse } from '../support/response';
import { directoryDigest, MANIFEST_FILE, ReleaseContentError } from './digest';

/**
 * The release layout of a service run as a local process (shared with the
 * demo fleet; keep it exactly so):
 *
 *   <releasesDir>/<service>/releases/<version>/       the files of one version + manifest.json
 *   <releasesDir>/<service>/releases/<version>.sig    detached Ed25519 signature (base64) over the digest
 *   <releasesDir>/<service>/current                   symlink to releases/<version>, switched atomically
 *
 * manifest.json is { service, version, digest } with digest = directoryDigest(<version dir>).
 */

export const ReleaseManifest = z.object({
  service: z.string().min(1),
  version: z.string().min(1),
  digest: Digest,
});
export type ReleaseManifest = z.infer<typeof ReleaseManifest>;

export interface Release {
  service: string;
  version: string;
  /** The version's directory. */
  dir: string;
  digest: string;
}

// Services and versions become path segments: nothing that could climb out of the releases directory.
const SEGMENT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

function segment(value: string, what: 'service' | 'version'): string {
  if (!SEGMENT_PATTERN.test(value) || value.includes('..')) {
    throw new ReleaseContentError(
      `${what} "${value}" cannot name a directory (letters, digits, ".", "_", "+", "-")`,
    );
  }
  return value;
}

export function serviceDir(releasesDir: string, service: string): string {
  return path.join(releasesDir, segment(service, 'service'));
}
export function releasesRoot(releasesDir: string, service: string): string {
  return path.join(serviceDir(releasesDir, service), 'releases');
}
export function releaseDir(releasesDir: string, service: string, version: string): string {
  return path.join(releasesRoot(releasesDir, service), segment(version, 'version'));
}
export function signatureFile(releasesDir: string, service: string, version: string): string {
  return `${releaseDir(releasesDir, service, version)}.sig`;
}
export function currentLink(releasesDir: string, service: string): string {
  return path.join(serviceDir(releasesDir, service), 'current');
}
/** What `current` points to for a version: relative, so the tree can move as a whole. */
function linkTarget(version: string): string {
  return `releases/${segment(version, 'version')}`;
}

export async function readManifest(dir: string): Promise<ReleaseManifest> {
  let text: string;
  try {
    text = await readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch (error) {
    throw new ReleaseContentError(
      `${dir} has no readable ${MANIFEST_FILE} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  const manifest = readJsonResponse(ReleaseManifest, text, {
    target: 'artifact',
    what: path.join(dir, MANIFEST_FILE),
  });
  if (!manifest.ok) throw new ReleaseContentError(manifest.problem);
  return manifest.value;
}

export type ReleaseFiles = Readonly<Record<string, string | Uint8Array>>;

export interface CreateReleaseOptions {
  releasesDir: string;
  service: string;
  version: string;
  /** Relative "/"-separated paths and their contents; or `sourceDir`, copied whole. */
  files?: ReleaseFiles;
  sourceDir?: string;
  /** Replace a release of the same version (tests, demo setup); otherwise an existing version is refused. */
  overwrite?: boolean;
}

/**
 * Writes one version's files and its manifest. The directory is built under a
 * temporary name and renamed into place, so a half-written release never
 * appears under its version.
 */
export async function createRelease(options: CreateReleaseOptions): Promise<Release> {
  const { releasesDir, service, version } = options;
  if ((options.files === undefined) === (options.sourceDir === undefined)) {
    throw new ReleaseContentError('createRelease needs exactly one of files or sourceDir');
  }
  const finalDir = releaseDir(releasesDir, service, version);
  if (await exists(finalDir)) {
    if (!options.overwrite)
      throw new ReleaseContentError(`release ${version} of ${service} already exists at ${finalDir}`);
  }
  const root = releasesRoot(releasesDir, service);
  await mkdir(root, { recursive: true });
  const staging = path.join(root, `.staging-${version}-${randomBytes(4).toString('hex')}`);
  try {
    if (options.sourceDir !== undefined) {
      await cp(options.sourceDir, staging, { recursive: true, verbatimSymlinks: true });
      await rm(path.join(staging, MANIFEST_FILE), { force: true });
    } else {
      await mkdir(staging);
      for (const [relative, content] of Object.entries(options.files ?? {})) {
        const target = path.join(staging, ...safeRelative(relative).split('/'));
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, content);
      }
    }
    const digest = await directoryDigest(staging);
    const manifest: ReleaseManifest = { service, version, digest };
    await writeFile(path.join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    if (options.overwrite) {
      await rm(finalDir, { recursive: true, force: true });
      await rm(`${finalDir}.sig`, { force: true });
    }
    await rename(staging, finalDir);
    return { service, version, dir: finalDir, digest };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function safeRelative(relative: string): string {
  const parts = relative.split('/');
  if (path.isAbsolute(relative) || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new ReleaseContentError(
      `release file path "${relative}" must be relative, "/"-separated, without "." or ".."`,
    );
  }
  if (relative === MANIFEST_FILE)
    throw new ReleaseContentError(`${MANIFEST_FILE} is written by createRelease`);
  return relative;
}

export interface SignReleaseOptions {
  releasesDir: string;
  service: string;
  version: string;
  key: { kid: string; privateKey: KeyObject };
}

/**
 * Signs a release's digest into `<version>.sig`. Refuses a directory whose
 * files no longer match its manifest: a signature vouches for what is there.
 */
export async function signRelease(
  options: SignReleaseOptions,
): Promise<{ digest: string; signature: string; file: string; keyId: string }> {
  const dir = releaseDir(options.releasesDir, options.service, options.version);
  const manifest = await readManifest(dir);
  const actual = await directoryDigest(dir);
  if (actual !== manifest.digest) {
    throw new ReleaseContentError(
      `release ${options.version} of ${options.service}: files hash to ${actual}, manifest says ${manifest.digest}; not signing`,
    );
  }
  const signature = signDigest(manifest.digest, options.key.privateKey);
  const file = signatureFile(options.releasesDir, options.service, options.version);
  await writeFile(file, `${signature}\n`);
  return { digest: manifest.digest, signature, file, keyId: options.key.kid };
}

export interface ActivateReleaseOptions {
  releasesDir: string;
  service: string;
  version: string;
}

/**
 * Points `current` at a version: a new symlink under a temporary name renamed
 * over the old one, so a process starting at any moment sees either the old
 * or the new release, never none. Returns the version it pointed to before.
 */
export async function activateRelease(
  options: ActivateReleaseOptions,
): Promise<{ previous: string | null; current: string }> {
  const { releasesDir, service, version } = options;
  const dir = releaseDir(releasesDir, service, version);
  if (!(await exists(dir)))
    throw new ReleaseContentError(`release ${version} of ${service} does not exist (${dir})`);
  const previous = await currentVersion(releasesDir, service);
  const link = currentLink(releasesDir, service);
  const temporary = `${link}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await symlink(linkTarget(version), temporary);
  try {
    await rename(temporary, link);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return { previous, current: version };
}

/** The version `current` points to; null when there is no `current` link. */
export async function currentVersion(releasesDir: string, service: string): Promise<string | null> {
  let target: string;
  try {
    target = await readlink(currentLink(releasesDir, service));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'EINVAL')
      throw new ReleaseContentError(`${currentLink(releasesDir, service)} is not a symlink`);
    throw error;
  }
  const resolved = path.resolve(serviceDir(releasesDir, service), target);
  if (path.dirname(resolved) !== path.resolve(releasesRoot(releasesDir, service))) {
    throw new ReleaseContentError(
      `${currentLink(releasesDir, service)} points outside the releases directory (${target})`,
    );
  }
  return path.basename(resolved);
}

/** Every version directory of a service, sorted by name. */
export async function listReleases(releasesDir: string, service: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(releasesRoot(releasesDir, service), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter((e) => e.isDirectory() && SEGMENT_PATTERN.test(e.name))
    .map((e) => e.name)
    .sort();
}

export type ReleaseLookup =
  | { kind: 'found'; release: Release }
  | { kind: 'not-found'; versions: string[] }
  | { kind: 'tampered'; version: string; actual: string; problem: string };

/**
 * The release whose files hash to `digest`. A manifest only nominates a
 * candidate; the digest is recomputed from the files, so a directory whose
 * content was changed after its manifest was written never matches.
 */
export async function findReleaseByDigest(
  releasesDir: string,
  service: string,
  digest: string,
): Promise<ReleaseLookup> {
  const versions = await listReleases(releasesDir, service);
  let tampered: Extract<ReleaseLookup, { kind: 'tampered' }> | undefined;
  for (const version of versions) {
    const dir = releaseDir(releasesDir, service, version);
    let manifest: ReleaseManifest;
    try {
      manifest = await readManifest(dir);
    } catch {
      continue; // Not a release (yet): it cannot be what we are looking for.
    }
    if (manifest.digest !== digest) continue;
    if (manifest.service !== service || manifest.version !== version) {
      tampered ??= {
        kind: 'tampered',
        version,
        actual: manifest.digest,
        problem: `its manifest names ${manifest.service} ${manifest.version}`,
      };
      continue;
    }
    let actual: string;
    try {
      actual = await directoryDigest(dir);
    } catch (error) {
      tampered ??= { kind: 'tampered', version, actual: 'unknown', problem: (error as Error).message };
      continue;
    }
    if (actual === digest) return { kind: 'found', release: { service, version, dir, digest } };
    tampered ??= { kind: 'tampered', version, actual, problem: `its files hash to ${actual}` };
  }
  return tampered ?? { kind: 'not-found', versions };
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
