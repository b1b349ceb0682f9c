import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * File writes that a crash cannot tear: the content goes to a temporary file
 * beside the target, is synced, and replaces the target with one rename (or,
 * for create-once files, one hard link that fails if the target exists).
 */

/** The file's text, or null when it does not exist. */
export async function readTextOrNull(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

async function writeTemp(file: string, text: string, mode: number): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}

/** Replaces `file` with `text` in one step. */
export async function writeAtomically(file: string, text: string, mode = 0o644): Promise<void> {
  const temp = await writeTemp(file, text, mode);
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/** Creates `file` with `text` unless it exists; false when another writer was first. */
export async function createOnce(file: string, text: string, mode = 0o600): Promise<boolean> {
  const temp = await writeTemp(file, text, mode);
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** Puts `text` back, or removes the file when it did not exist (text null). */
export async function restoreText(file: string, text: string | null): Promise<void> {
  if (text === null) {
    await unlink(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    return;
  }
  await writeAtomically(file, text);
}
