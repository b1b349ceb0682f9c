import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  AesGcmPayloadCodec,
  dataConverterFromConfig,
  Keyring,
  KEY_ID_METADATA,
  loadKeyringFile,
  parseKeyring,
  PayloadDecryptionError,
  writeNewKeyring,
} from '../../../src/security/codec';

const key = (byte: number) => Buffer.alloc(32, byte);
const SECRET_INPUT = { deployment: 'build-481', webhook: 'https://hooks.example.com/T000/very-private' };
const meta = (p: Payload, k: string) => Buffer.from(p.metadata![k]!).toString();

async function sealed(keyring: Keyring, value: unknown = SECRET_INPUT): Promise<Payload> {
  const [payload] = await new AesGcmPayloadCodec(keyring).encode([defaultPayloadConverter.toPayload(value)]);
  return payload!;
}

async function opened(keyring: Keyring, payload: Payload): Promise<unknown> {
  const [plain] = await new AesGcmPayloadCodec(keyring).decode([payload]);
  return defaultPayloadConverter.fromPayload(plain!);
}

async function decodeError(keyring: Keyring, payload: Payload): Promise<Error> {
  try {
    await new AesGcmPayloadCodec(keyring).decode([payload]);
  } catch (error) {
    return error as Error;
  }
  throw new Error('decoded');
}

describe('AesGcmPayloadCodec', () => {
  const ring = new Keyring([{ id: 'k-2026-01', key: key(1) }]);

  test('encrypts the whole payload and says only which key: nothing of the value shows', async () => {
    const payload = await sealed(ring);
    expect(meta(payload, 'encoding')).toBe('binary/encrypted');
    expect(meta(payload, KEY_ID_METADATA)).toBe('k-2026-01');
    const stored = Buffer.from(payload.data!).toString('latin1');
    expect(stored).not.toContain('build-481');
    expect(stored).not.toContain('json/plain');
    expect(await opened(ring, payload)).toEqual(SECRET_INPUT);
  });

  test('the same value encrypts differently every time (fresh IV)', async () => {
    const a = await sealed(ring);
    const b = await sealed(ring);
    expect(Buffer.from(a.data!).equals(Buffer.from(b.data!))).toBe(false);
  });

  test('rotation: the newest key encrypts, every listed key decrypts', async () => {
    const before = await sealed(ring);
    const rotated = new Keyring([
      { id: 'k-2026-01', key: key(1) },
      { id: 'k-2026-02', key: key(2) },
    ]);
    const after = await sealed(rotated);
    expect(meta(after, KEY_ID_METADATA)).toBe('k-2026-02');
    expect(await opened(rotated, before)).toEqual(SECRET_INPUT);
    expect(await opened(rotated, after)).toEqual(SECRET_INPUT);
  });

  test('a payload encrypted with an unknown key fails with an error naming the key id', async () => {
    const foreign = await sealed(new Keyring([{ id: 'retired-2025', key: key(9) }]));
    const error = await decodeError(ring, foreign);
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    expect(error.message).toBe(
      'payload encrypted with key id "retired-2025", which is not in this keyring (it has: k-2026-01)',
    );
  });

  test('altered ciphertext, and a payload relabelled with another key id, do not decrypt', async () => {
    const payload = await sealed(ring);
    const data = Buffer.from(payload.data!);
    data[20] = data[20]! ^ 1;
    expect((await decodeError(ring, { ...payload, data })).message).toMatch(/"k-2026-01" does not decrypt/);
    const two = new Keyring([
      { id: 'a', key: key(1) },
      { id: 'b', key: key(1) },
    ]);
    const fromA = await sealed(new Keyring([{ id: 'a', key: key(1) }]));
    const relabelled = { ...fromA, metadata: { ...fromA.metadata, [KEY_ID_METADATA]: Buffer.from('b') } };
    expect((await decodeError(two, relabelled)).message).toMatch(/"b" does not decrypt/);
  });

  test('unencrypted payloads pass through decode (history from before encryption stays readable)', async () => {
    const plain = defaultPayloadConverter.toPayload({ a: 1 });
    expect(await opened(ring, plain)).toEqual({ a: 1 });
  });
});

describe('keyrings', () => {
  const b64 = (byte: number) => key(byte).toString('base64');

  test.each([
    ['not JSON', 'nope', 'where is not JSON'],
    ['no keys', '{"keys":[]}', 'where: keys: must list at least one key'],
    [
      'a short key',
      JSON.stringify({ keys: [{ id: 'a', key: 'AAAA' }] }),
      'key "a" is not 32 bytes of base64',
    ],
    [
      'a duplicate id',
      JSON.stringify({
        keys: [
          { id: 'a', key: b64(1) },
          { id: 'a', key: b64(2) },
        ],
      }),
      'key id "a" appears more than once',
    ],
    [
      'a current key that is not listed',
      JSON.stringify({ current: 'z', keys: [{ id: 'a', key: b64(1) }] }),
      'current key "z" is not in the keyring',
    ],
  ])('%s is refused, naming the problem and never a key', (_label, text, message) => {
    expect(() => parseKeyring(text, 'where')).toThrow(message);
    try {
      parseKeyring(text, 'where');
    } catch (error) {
      expect((error as Error).message).not.toContain(b64(1));
    }
  });

  test('`current` picks the encrypting key; by default the last listed', () => {
    const keys = [
      { id: 'old', key: b64(1) },
      { id: 'new', key: b64(2) },
    ];
    expect(parseKeyring(JSON.stringify({ keys }), 'x').currentId).toBe('new');
    expect(parseKeyring(JSON.stringify({ keys, current: 'old' }), 'x').currentId).toBe('old');
  });

  test('configuration: an explicit file, else RIPCORD_CODEC_KEYS, else RIPCORD_CODEC_KEYRING, else off', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ripcord-keyring-'));
    const file = path.join(dir, 'keyring.json');
    await writeNewKeyring(file, 'dev-1');
    expect(loadKeyringFile(file).ids).toEqual(['dev-1']);
    await expect(writeNewKeyring(file, 'dev-2')).rejects.toThrow(/EEXIST/);
    const inline = path.join(dir, 'inline.json');
    writeFileSync(inline, JSON.stringify({ keys: [{ id: 'env-1', key: b64(3) }] }));
    expect(dataConverterFromConfig(undefined, {})).toBeUndefined();
    expect(dataConverterFromConfig(file, {})?.payloadCodecs).toHaveLength(1);
    expect(dataConverterFromConfig(undefined, { RIPCORD_CODEC_KEYS: file })?.payloadCodecs).toHaveLength(1);
    expect(
      dataConverterFromConfig(undefined, {
        RIPCORD_CODEC_KEYRING: JSON.stringify({ keys: [{ id: 'e', key: b64(3) }] }),
      })?.payloadCodecs,
    ).toHaveLength(1);
    expect(() => dataConverterFromConfig(path.join(dir, 'missing.json'), {})).toThrow(
      /cannot read keyring .*ENOENT/,
    );
  });
});
