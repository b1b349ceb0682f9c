import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, type JSONWebKeySet, type JWK } from 'jose';
import { ActionTokenError, type ActionTokenAlgorithm, readKeySet } from './action-tokens';

/**
 * Key pairs for signing action tokens, for development and the demo. In
 * production the private key lives with whatever mints tokens (an SSO-backed
 * service, a vault); ripcord's worker only ever reads the public JWKS.
 */

const KID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export interface GeneratedActionKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

export async function generateActionKey(
  kid: string,
  alg: ActionTokenAlgorithm = 'EdDSA',
): Promise<GeneratedActionKey> {
  if (!KID_PATTERN.test(kid)) {
    throw new ActionTokenError(
      `"${kid}" is not a key id: letters, digits, ".", "_", ":" or "-" (at most 128)`,
    );
  }
  const { privateKey, publicKey } =
    alg === 'EdDSA'
      ? await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
      : await generateKeyPair('ES256', { extractable: true });
  const common = { kid, alg, use: 'sig' };
  return {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), ...common },
    publicJwk: { ...(await exportJWK(publicKey)), ...common },
  };
}

export interface WrittenKeyFiles {
  privateKeyFile: string;
  jwksFile: string;
}

/**
 * Writes `<dir>/<kid>.private.jwk.json` (mode 0600) and adds the public key to
 * `<dir>/jwks.json`, keeping the keys already there: rotating means adding a
 * key, trusting its id in the policy, and later removing the old one.
 */
export async function writeActionKey(dir: string, key: GeneratedActionKey): Promise<WrittenKeyFiles> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const privateKeyFile = path.join(dir, `${key.kid}.private.jwk.json`);
  const jwksFile = path.join(dir, 'jwks.json');
  let existing: JSONWebKeySet = { keys: [] };
  try {
    await readFile(jwksFile);
    existing = await readKeySet(jwksFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (existing.keys.some((k) => k.kid === key.kid)) {
    throw new ActionTokenError(`${jwksFile} already holds a key "${key.kid}"; choose another --kid`);
  }
  await writeFile(privateKeyFile, `${JSON.stringify(key.privateJwk, null, 2)}\n`, {
    mode: 0o600,
    flag: 'wx',
  });
  await writeFile(jwksFile, `${JSON.stringify({ keys: [...existing.keys, key.publicJwk] }, null, 2)}\n`);
  return { privateKeyFile, jwksFile };
}
