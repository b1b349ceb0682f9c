import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/**
 * Ed25519 key material: trusted public keys from a JWKS-like file, and key
 * generation and storage for development and the demo. Production keeps its
 * private keys in whatever signs its builds; ripcord only ever needs the public
 * half, by key id.
 */

const KID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
// An Ed25519 public key is 32 bytes: 43 characters of unpadded base64url.
const ED25519_X_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** One trusted public key as the file holds it (standard JWK members such as `use` and `alg` are allowed). */
export const TrustedKeyJwk = z.looseObject({
  kid: z.string().regex(KID_PATTERN, { error: 'must be a key id: letters, digits, ".", "_", ":" or "-"' }),
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string().regex(ED25519_X_PATTERN, { error: 'must be a 32-byte Ed25519 public key in base64url' }),
  alg: z.literal('EdDSA').optional(),
  use: z.literal('sig').optional(),
});
export type TrustedKeyJwk = z.infer<typeof TrustedKeyJwk>;

export const TrustedKeysFile = z.strictObject({ keys: z.array(TrustedKeyJwk) });
export type TrustedKeysFile = z.infer<typeof TrustedKeysFile>;

/** Public keys by key id. */
export type TrustedKeys = ReadonlyMap<string, KeyObject>;

export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
}

/**
 * Parses a trusted keys document. Refuses, naming the entry: a private key
 * (`d`) in a file of trusted keys (it would mean a signing key was copied
 * somewhere it should not be), a key id given twice (which one would count?),
 * and any key node:crypto cannot import.
 */
export function parseTrustedKeys(document: unknown, where = 'trusted keys'): TrustedKeys {
  const parsed = TrustedKeysFile.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue?.path.length ? issue.path.join('.') : '(top level)';
    throw new KeyFileError(
      `${where}: ${at}: ${issue?.message ?? 'invalid'} (expected { keys: [{ kid, kty: "OKP", crv: "Ed25519", x }] })`,
    );
  }
  const keys = new Map<string, KeyObject>();
  parsed.data.keys.forEach((jwk, index) => {
    if ('d' in jwk) {
      throw new KeyFileError(
        `${where}: keys.${index} ("${jwk.kid}") holds a private key; trusted keys are public keys only`,
      );
    }
    if (keys.has(jwk.kid)) throw new KeyFileError(`${where}: key id "${jwk.kid}" appears more than once`);
    try {
      keys.set(jwk.kid, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' }));
    } catch {
      throw new KeyFileError(`${where}: keys.${index} ("${jwk.kid}") is not a usable Ed25519 public key`);
    }
  });
  return keys;
}

/** Reads and parses a trusted keys file; read it at use, so that a rotated file counts at once. */
export async function loadTrustedKeys(file: string): Promise<TrustedKeys> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new KeyFileError(
      `cannot read trusted keys file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new KeyFileError(`trusted keys file ${file} is not JSON`);
  }
  return parseTrustedKeys(document, `trusted keys file ${file}`);
}

/** A signing key with its id (development, demo, tests). */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function generateSigningKey(kid: string): SigningKey {
  if (!KID_PATTERN.test(kid)) throw new KeyFileError(`"${kid}" is not a valid key id`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { kid, privateKey, publicKey };
}

/** The public half as a trusted keys entry. */
export function publicJwk(key: Pick<SigningKey, 'kid' | 'publicKey'>): TrustedKeyJwk {
  const jwk = key.publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new KeyFileError(`key "${key.kid}" is not an Ed25519 public key`);
  }
  return { kid: key.kid, kty: 'OKP', crv: 'Ed25519', x: jwk.x, alg: 'EdDSA', use: 'sig' };
}

/** Writes a trusted keys file holding the public halves of `keys`. */
export async function writeTrustedKeysFile(
  file: string,
  keys: ReadonlyArray<Pick<SigningKey, 'kid' | 'publicKey'>>,
): Promise<void> {
  const document: TrustedKeysFile = { keys: keys.map(publicJwk) };
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(document, null, 2)}\n`, 'utf8');
}

/** Stores a private key as PKCS#8 PEM, readable by its owner only. */
export async function writePrivateKeyFile(file: string, key: SigningKey): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const pem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  await writeFile(file, pem, { mode: 0o600 });
}

/** Reads a private key written by writePrivateKeyFile; the key id is the caller's to give. */
export async function readPrivateKeyFile(file: string, kid: string): Promise<SigningKey> {
  let pem: Buffer;
  try {
    pem = await readFile(file);
  } catch (error) {
    throw new KeyFileError(
      `cannot read private key ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    // Never echo the file's content or the parser's view of it: it is a private key.
    throw new KeyFileError(`private key ${file} is not a PEM private key`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new KeyFileError(`private key ${file} is not an Ed25519 key`);
  }
  return { kid, privateKey, publicKey: createPublicKey(privateKey) };
}
