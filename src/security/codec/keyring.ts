import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { z } from 'zod';

/**
 * The payload codec's keys. Every key listed decrypts; one (`current`, by
 * default the last listed) encrypts. Rotating is adding a key at the end and
 * rolling the file out to every worker, client and codec server; an old key is
 * removed only once no history that needs it is retained.
 *
 * Keyring file (JSON, mode 0600): { "current"?: "<id>", "keys": [{ "id": "<id>", "key": "<base64 of 32 bytes>" }] }
 */

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export const KeyringFile = z.strictObject({
  current: z.string().regex(KEY_ID, { error: 'must be a key id' }).optional(),
  keys: z
    .array(
      z.strictObject({
        id: z.string().regex(KEY_ID, { error: 'must be a key id: letters, digits, ".", "_", ":" or "-"' }),
        key: z.string().min(1, { error: 'must be a base64 AES-256 key' }),
      }),
    )
    .min(1, { error: 'must list at least one key' }),
});
export type KeyringFile = z.infer<typeof KeyringFile>;

export class KeyringError extends Error {
  override readonly name = 'KeyringError';
}

export class Keyring {
  private readonly byId: ReadonlyMap<string, Buffer>;
  readonly currentId: string;

  constructor(keys: ReadonlyArray<{ id: string; key: Buffer }>, current?: string) {
    if (keys.length === 0) throw new KeyringError('a keyring needs at least one key');
    const byId = new Map<string, Buffer>();
    for (const { id, key } of keys) {
      if (byId.has(id)) throw new KeyringError(`key id "${id}" appears more than once`);
      if (key.length !== 32) throw new KeyringError(`key "${id}" is ${key.length} bytes; AES-256 needs 32`);
      byId.set(id, key);
    }
    this.byId = byId;
    this.currentId = current ?? keys[keys.length - 1]!.id;
    if (!byId.has(this.currentId))
      throw new KeyringError(`current key "${this.currentId}" is not in the keyring`);
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }

  get current(): { id: string; key: Buffer } {
    return { id: this.currentId, key: this.byId.get(this.currentId)! };
  }

  get(id: string): Buffer | undefined {
    return this.byId.get(id);
  }
}

/** Parses keyring JSON; errors name the field and `where`, never a key. */
export function parseKeyring(text: string, where: string): Keyring {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new KeyringError(`${where} is not JSON`);
  }
  const parsed = KeyringFile.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue?.path.length ? issue.path.join('.') : '(top level)';
    throw new KeyringError(`${where}: ${at}: ${issue?.message ?? 'invalid'}`);
  }
  return new Keyring(
    parsed.data.keys.map(({ id, key }) => {
      const bytes = Buffer.from(key, 'base64');
      if (bytes.length !== 32 || bytes.toString('base64').replace(/=+$/, '') !== key.replace(/=+$/, '')) {
        throw new KeyringError(`${where}: key "${id}" is not 32 bytes of base64`);
      }
      return { id, key: bytes };
    }),
    parsed.data.current,
  );
}

export function loadKeyringFile(file: string): Keyring {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new KeyringError(
      `cannot read keyring ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  return parseKeyring(text, `keyring ${file}`);
}

/** A new keyring file with one random key (development, the demo); refuses to overwrite. */
export async function writeNewKeyring(file: string, id: string): Promise<void> {
  const document: KeyringFile = { keys: [{ id, key: randomBytes(32).toString('base64') }] };
  KeyringFile.parse(document);
  await writeFile(file, `${JSON.stringify(document, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
}
