import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Keyring } from './keyring';

/**
 * Encrypts every payload with AES-256-GCM before it leaves the process
 * (docs/architecture.md §5, "what history may hold"). The whole payload (metadata and data)
 * is serialised and encrypted; the outer payload says only that it is
 * encrypted and with which key: `encoding: binary/encrypted`,
 * `encryption-key-id: <id>`. The key id is also authenticated (GCM additional
 * data), so relabelling a payload with another key id makes it fail to decrypt.
 * Stored layout: 12-byte IV, ciphertext, 16-byte tag.
 */

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const CIPHER_METADATA = 'encryption-cipher';
export const CIPHER = 'AES-256-GCM';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const text = new TextEncoder();
const fromBytes = (bytes: Uint8Array | null | undefined) =>
  bytes ? Buffer.from(bytes).toString('utf8') : undefined;

/** A payload this process cannot decrypt: the message names the key id (never any key). */
export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
}

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keyring: Keyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keyring.current;
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(id, 'utf8'));
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: text.encode(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: text.encode(id),
          [CIPHER_METADATA]: text.encode(CIPHER),
        },
        data: sealed,
      };
    });
  }

  /** Payloads not encrypted by this codec pass through: history from before encryption was turned on stays readable. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (fromBytes(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
      const id = fromBytes(payload.metadata?.[KEY_ID_METADATA]);
      if (!id) throw new PayloadDecryptionError('an encrypted payload names no key id (encryption-key-id)');
      const key = this.keyring.get(id);
      if (!key) {
        throw new PayloadDecryptionError(
          `payload encrypted with key id "${id}", which is not in this keyring (it has: ${this.keyring.ids.join(', ')})`,
        );
      }
      const sealed = Buffer.from(payload.data ?? new Uint8Array());
      if (sealed.length < IV_BYTES + TAG_BYTES) {
        throw new PayloadDecryptionError(`payload encrypted with key id "${id}" is truncated`);
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(id, 'utf8'));
        decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
        const plain = Buffer.concat([
          decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
          decipher.final(),
        ]);
        return temporal.api.common.v1.Payload.decode(plain) as Payload;
      } catch {
        throw new PayloadDecryptionError(
          `payload encrypted with key id "${id}" does not decrypt (altered, or the key with that id is not the one used)`,
        );
      }
    });
  }
}
