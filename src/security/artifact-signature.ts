import { sign, verify, type KeyObject } from 'node:crypto';
import { isSha256Digest, SHA256_DIGEST_FORM } from '../policy/digest';
import type { TrustedKeys } from './keys';

/**
 * Detached Ed25519 signatures over artifact digests (docs/architecture.md §5: what may be
 * deployed back). The signed message is the digest string itself, UTF-8
 * encoded (`sha256:<64 hex>`), and the signature is its 64 bytes in standard
 * base64. A rollback target checks one before it deploys anything back.
 */

const ED25519_SIGNATURE_BYTES = 64;
const BASE64_PATTERN = /^[A-Za-z0-9+/]+={0,2}$/;

export type SignatureRejection = 'malformed' | 'unknown-key' | 'bad-signature';

export type SignatureCheck =
  { ok: true; keyId: string } | { ok: false; reason: SignatureRejection; message: string };

export interface VerifyDigestSignatureInput {
  digest: string;
  /** The signature file's content: base64, surrounding whitespace ignored. */
  signature: string;
  /** The key that must have signed (the plan step's `signedBy`). */
  keyId: string;
  trustedKeys: TrustedKeys;
}

/**
 * Whether `signature` is key `keyId`'s signature over `digest`. Never throws
 * for bad input: every refusal comes back with a reason a person can act on.
 * The message names the key id and the digest, which are public, and nothing
 * else.
 */
export function verifyDigestSignature(input: VerifyDigestSignatureInput): SignatureCheck {
  const { digest, keyId, trustedKeys } = input;
  if (!isSha256Digest(digest)) {
    return { ok: false, reason: 'malformed', message: `digest is not ${SHA256_DIGEST_FORM}` };
  }
  const signature = decodeSignature(input.signature);
  if (signature === undefined) {
    return {
      ok: false,
      reason: 'malformed',
      message: `signature is not ${ED25519_SIGNATURE_BYTES} bytes of base64 (an Ed25519 signature)`,
    };
  }
  const key = trustedKeys.get(keyId);
  if (key === undefined) {
    const known = [...trustedKeys.keys()].join(', ') || 'none';
    return {
      ok: false,
      reason: 'unknown-key',
      message: `key id "${keyId}" is not a trusted key (trusted: ${known})`,
    };
  }
  let valid: boolean;
  try {
    valid = verify(null, Buffer.from(digest, 'utf8'), key, signature);
  } catch {
    valid = false;
  }
  if (!valid) {
    return {
      ok: false,
      reason: 'bad-signature',
      message: `signature over ${digest} does not verify with key "${keyId}" (signed by another key, or digest or signature altered)`,
    };
  }
  return { ok: true, keyId };
}

/** Signs a digest (development, demo, tests; production signs in its build system). Returns base64. */
export function signDigest(digest: string, privateKey: KeyObject): string {
  if (!isSha256Digest(digest)) throw new Error(`digest is not ${SHA256_DIGEST_FORM}`);
  return sign(null, Buffer.from(digest, 'utf8'), privateKey).toString('base64');
}

function decodeSignature(text: string): Buffer | undefined {
  const trimmed = text.trim();
  // Buffer.from(..., 'base64') skips characters it does not know: check the form first.
  if (!BASE64_PATTERN.test(trimmed) || trimmed.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(trimmed, 'base64');
  return bytes.length === ED25519_SIGNATURE_BYTES ? bytes : undefined;
}
