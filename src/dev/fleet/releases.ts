import { createHash } from 'node:crypto';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { z } from 'zod';

/**
 * The release layout of the demo fleet, the same one the artifact-revert
 * target works on:
 *
 *   <releasesDir>/<service>/releases/<version>/   the release's files + manifest.json
 *   <releasesDir>/<service>/current               symlink → releases/<version>
 *
 * manifest.json = { service, version, digest } where digest is
 * `sha256:<hex>` over the release's files (see releaseDigest). Switching
 * `current` is an atomic rename of a fresh symlink, so a reader never sees it
 * missing.
 */

export const MANIFEST_FILE = 'manifest.json';

export const ReleaseManifest = z.strictObject({
  service: z.string().min(1),
  version: z.string().min(1),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'digest must be sha256:<64 hex>'),
});
export type ReleaseManifest = z.infer<typeof ReleaseManifest>;

export class ReleaseError extends Error {}

export function serviceDir(releasesDir: string, service: string): string {
  return join(releasesDir, service);
}

export function releaseDir(releasesDir: string, service: string, version: string): string {
  return join(releasesDir, service, 'releases', version);
}

export function currentLink(releasesDir: string, service: string): string {
  return join(releasesDir, service, 'current');
}

/** Files that are not part of the content: the manifest that carries the digest, and signatures over it. */
function excludedFromDigest(relativePath: string): boolean {
  return relativePath === MANIFEST_FILE || relativePath.endsWith('.sig');
}

/** Regular files below `dir`, as POSIX relative paths, sorted by their UTF-16 code units (JS default sort). */
export function releaseFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) found.push(relative(dir, full).split(sep).join('/'));
    }
  };
  walk(dir);
  return found.filter((path) => !excludedFromDigest(path)).sort();
}

/**
 * `sha256:<hex>` of the release's content: for every file in `releaseFiles`
 * order, the relative path, a NUL byte, the file's bytes, a NUL byte. The
 * separators keep `a`+`bc` apart from `ab`+`c`; the manifest and *.sig files
 * are left out because they are written after the digest is known.
 */
export function releaseDigest(dir: string): string {
  const hash = createHash('sha256');
  const nul = Buffer.from([0]);
  for (const path of releaseFiles(dir)) {
    hash.update(path, 'utf8');
    hash.update(nul);
    hash.update(readFileSync(join(dir, ...path.split('/'))));
    hash.update(nul);
  }
  return `sha256:${hash.digest('hex')}`;
}

export function readManifest(dir: string): ReleaseManifest {
  const file = join(dir, MANIFEST_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ReleaseError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const parsed = ReleaseManifest.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ReleaseError(`${file} is not a release manifest: ${issues.join('; ')}`);
  }
  return parsed.data;
}

export interface CreateReleaseOptions {
  releasesDir: string;
  service: string;
  version: string;
  /** Relative POSIX path → content. Must not contain manifest.json. */
  files: Record<string, string | Buffer>;
}

/** Writes a release directory (replacing one of the same version) and its manifest; returns the manifest. */
export function createRelease(options: CreateReleaseOptions): ReleaseManifest & { dir: string } {
  const dir = releaseDir(options.releasesDir, options.service, options.version);
  if (MANIFEST_FILE in options.files) throw new ReleaseError(`${MANIFEST_FILE} is written by createRelease`);
  rmSync(dir, { recursive: true, force: true });
  for (const [path, content] of Object.entries(options.files)) {
    const target = join(dir, ...path.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  mkdirSync(dir, { recursive: true });
  const manifest: ReleaseManifest = {
    service: options.service,
    version: options.version,
    digest: releaseDigest(dir),
  };
  writeFileSync(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return { ...manifest, dir };
}

/** Points `current` at releases/<version> atomically (a new symlink renamed over the old one). */
export function switchCurrent(releasesDir: string, service: string, version: string): void {
  const target = releaseDir(releasesDir, service, version);
  readManifest(target); // refuse to point at something that is not a release
  const link = currentLink(releasesDir, service);
  const temporary = `${link}.next-${process.pid}`;
  rmSync(temporary, { force: true });
  symlinkSync(join('releases', version), temporary);
  renameSync(temporary, link);
}
