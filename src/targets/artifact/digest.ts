import { createHash } from 'node:crypto';
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** The release's own description; not part of what the digest covers. */
export const MANIFEST_FILE = 'manifest.json';
const SIGNATURE_SUFFIX = '.sig';

export class ReleaseContentError extends Error {
  override readonly name = 'ReleaseContentError';
}

/**
 * The digest of a release directory: `sha256:<hex>` over its regular files in
 * order of their relative paths ("/"-separated, compared as UTF-8 bytes). For
 * each file it hashes the path, a NUL byte, the size in decimal, a NUL byte,
 * then the content, so that no two different trees hash the same stream.
 * `manifest.json` and `*.sig` at the top level are left out (they describe the
 * release, they are not it); empty directories and file modes do not count.
 * A symlink or any other special file is refused: what it points to could
 * change without changing the digest.
 */
export async function directoryDigest(dir: string): Promise<string> {
  const files = await releaseFiles(dir);
  const hash = createHash('sha256');
  for (const file of files) {
    const content = await readFile(path.join(dir, ...file.split('/')));
    hash.update(Buffer.from(file, 'utf8'));
    hash.update(Buffer.from([0]));
    hash.update(Buffer.from(String(content.length), 'utf8'));
    hash.update(Buffer.from([0]));
    hash.update(content);
  }
  return `sha256:${hash.digest('hex')}`;
}

/** The relative paths the digest covers, in digest order. */
export async function releaseFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  await walk(dir, '', found);
  return found.sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

async function walk(root: string, relative: string, found: string[]): Promise<void> {
  const entries = await readdir(path.join(root, relative), { withFileTypes: true });
  for (const entry of entries) {
    const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (relative === '' && (entry.name === MANIFEST_FILE || entry.name.endsWith(SIGNATURE_SUFFIX))) continue;
    if (entry.isDirectory()) {
      await walk(root, rel, found);
    } else if (entry.isFile()) {
      found.push(rel);
    } else {
      const info = await lstat(path.join(root, rel));
      const kind = info.isSymbolicLink() ? 'a symlink' : 'a special file';
      throw new ReleaseContentError(`${rel} in ${root} is ${kind}; a release holds regular files only`);
    }
  }
}
