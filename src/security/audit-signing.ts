import { createPrivateKey, type KeyObject, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SECRET_REF_PATTERN } from '../policy/schema/common';
import { generateActionKey } from './action-keys';
import { parseTrustedKeys, type TrustedKeys } from './keys';
import { resolveSecret } from './secrets';

/**
 * Signatures on the audit trail. The chain (audit-chain.ts) makes every
 * record depend on all records before it, but it has no key: whoever can
 * write the file or the table can append a correctly chained record, or
 * rewrite a record and recompute every hash after it. So the worker also
 * signs each record with its audit key (Ed25519), and `ripcord audit verify
 * --key` checks every signature against the public key.
 *
 * What is signed: the UTF-8 bytes of `ripcord-audit/v1 <hash>`, where `<hash>`
 * is the record's chain hash (`sha256:<hex>`). The hash covers the record's
 * whole content including `seq` and `prevHash`, so the signature covers the
 * record, its position and, through `prevHash`, every record before it. The
 * signature is stored next to the hash as `sig: { kid, alg: "EdDSA", value }`
 * (value: base64url) and is itself not part of what the hash covers. The
 * prefix keeps an audit signature from meaning anything else (a JWS signs
 * `<header>.<payload>`, which never starts with it).
 */

export const AUDIT_SIGNATURE_ALG = 'EdDSA';
const SIGNED_PREFIX = 'ripcord-audit/v1 ';
const KID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export interface AuditSignature {
  kid: string;
  alg: typeof AUDIT_SIGNATURE_ALG;
  /** Ed25519 signature over `ripcord-audit/v1 <hash>`, base64url. */
  value: string;
}

export class AuditKeyError extends Error {
  override readonly name = 'AuditKeyError';
}

/** The bytes a record's signature covers. */
export function auditSigningInput(hash: string): Buffer {
  return Buffer.from(`${SIGNED_PREFIX}${hash}`, 'utf8');
}

/** Signs chain hashes with the worker's audit key. */
export class AuditSigner {
  constructor(
    readonly kid: string,
    private readonly key: KeyObject,
  ) {}

  sign(hash: string): AuditSignature {
    return {
      kid: this.kid,
      alg: AUDIT_SIGNATURE_ALG,
      value: sign(null, auditSigningInput(hash), this.key).toString('base64url'),
    };
  }
}

/** A signer from a private Ed25519 JWK (as `ripcord audit keygen` writes it). */
export function auditSignerFromJwk(document: unknown, where = 'audit key'): AuditSigner {
  const jwk = document as Record<string, unknown> | null;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw new AuditKeyError(`${where} is not a JWK (expected { kty: "OKP", crv: "Ed25519", kid, x, d })`);
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') {
    throw new AuditKeyError(`${where} is not an Ed25519 key (kty "OKP", crv "Ed25519")`);
  }
  if (typeof jwk.d !== 'string')
    throw new AuditKeyError(`${where} is a public key; the worker needs the private key`);
  if (typeof jwk.kid !== 'string' || !KID_PATTERN.test(jwk.kid)) {
    throw new AuditKeyError(`${where} has no valid "kid" (letters, digits, ".", "_", ":" or "-")`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: String(jwk.x ?? ''), d: jwk.d },
      format: 'jwk',
    });
  } catch {
    // Never echo the key or the parser's view of it.
    throw new AuditKeyError(`${where} is not a usable Ed25519 private key`);
  }
  return new AuditSigner(jwk.kid, key);
}

/**
 * Loads the worker's audit key: a private JWK file, or `${secret:NAME}` whose
 * value is the JWK's JSON. Synchronous, so that a worker with a bad key
 * refuses to start. Errors name the file or secret, never the key.
 */
export function loadAuditSigner(setting: string): AuditSigner {
  if (SECRET_REF_PATTERN.test(setting)) {
    const text = resolveSecret(setting);
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      throw new AuditKeyError('the audit key secret is not a JWK (JSON)');
    }
    return auditSignerFromJwk(document, 'the audit key secret');
  }
  let text: string;
  try {
    text = readFileSync(setting, 'utf8');
  } catch (error) {
    throw new AuditKeyError(
      `cannot read audit key ${setting}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new AuditKeyError(`audit key ${setting} is not JSON`);
  }
  return auditSignerFromJwk(document, `audit key ${setting}`);
}

/** Checks record signatures against trusted public keys, by key id. */
export class AuditVerifier {
  constructor(readonly keys: TrustedKeys) {}

  get kids(): string[] {
    return [...this.keys.keys()];
  }

  /** Undefined when the record's signature is good; otherwise what is wrong, for the failure message. */
  check(hash: string, sig: unknown): string | undefined {
    if (sig === undefined || sig === null) return 'not signed';
    const s = sig as Partial<AuditSignature>;
    if (typeof sig !== 'object' || typeof s.kid !== 'string' || typeof s.value !== 'string') {
      return 'not signed (its "sig" is not { kid, alg, value })';
    }
    if (s.alg !== AUDIT_SIGNATURE_ALG)
      return `signed with algorithm ${printable(s.alg)}; only EdDSA is accepted`;
    const key = this.keys.get(s.kid);
    if (!key) return `signed by unknown key ${printable(s.kid)}`;
    const value = Buffer.from(s.value, 'base64url');
    let good = false;
    try {
      good = value.length === 64 && verify(null, auditSigningInput(hash), key, value);
    } catch {
      good = false;
    }
    return good
      ? undefined
      : `signature does not verify (edited, or forged by someone without the audit key ${s.kid})`;
  }
}

function printable(value: unknown): string {
  return JSON.stringify(String(value).slice(0, 64));
}

/** Trusted audit keys from a public JWK or a JWKS file (`{ keys: [...] }`); private keys are refused. */
export function loadAuditVerifier(file: string): AuditVerifier {
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AuditKeyError(`audit key ${file} ${code ? `cannot be read (${code})` : 'is not JSON'}`);
  }
  const isSet = typeof document === 'object' && document !== null && 'keys' in document;
  try {
    return new AuditVerifier(parseTrustedKeys(isSet ? document : { keys: [document] }, `audit key ${file}`));
  } catch (error) {
    throw new AuditKeyError((error as Error).message);
  }
}

export interface WrittenAuditKey {
  kid: string;
  privateKeyFile: string;
  publicKeyFile: string;
}

/**
 * A new audit key pair: `<dir>/<kid>.private.jwk.json` (mode 0600, for the
 * worker's --audit-key) and `<dir>/<kid>.public.jwk.json` (for `audit verify --key`).
 * Refuses to overwrite an existing key.
 */
export async function writeAuditKey(dir: string, kid: string): Promise<WrittenAuditKey> {
  const key = await generateActionKey(kid, 'EdDSA');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const privateKeyFile = path.join(dir, `${kid}.private.jwk.json`);
  const publicKeyFile = path.join(dir, `${kid}.public.jwk.json`);
  try {
    await writeFile(privateKeyFile, `${JSON.stringify(key.privateJwk, null, 2)}\n`, {
      mode: 0o600,
      flag: 'wx',
    });
    await writeFile(publicKeyFile, `${JSON.stringify(key.publicJwk, null, 2)}\n`, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new AuditKeyError(`${dir} already holds an audit key "${kid}"; choose another --kid`);
    }
    throw error;
  }
  return { kid, privateKeyFile, publicKeyFile };
}
