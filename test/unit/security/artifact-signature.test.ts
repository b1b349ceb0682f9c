import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signDigest, verifyDigestSignature } from '../../../src/security/artifact-signature';
import {
  generateSigningKey,
  KeyFileError,
  loadTrustedKeys,
  parseTrustedKeys,
  publicJwk,
  readPrivateKeyFile,
  writePrivateKeyFile,
  writeTrustedKeysFile,
} from '../../../src/security/keys';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const OTHER_DIGEST = `sha256:${'cd'.repeat(32)}`;

const release = generateSigningKey('release-2025');
const intruder = generateSigningKey('intruder');
const trustedKeys = parseTrustedKeys({ keys: [publicJwk(release)] });

describe('verifyDigestSignature', () => {
  const good = signDigest(DIGEST, release.privateKey);

  it('accepts the trusted key’s signature over the digest', () => {
    expect(
      verifyDigestSignature({ digest: DIGEST, signature: good, keyId: 'release-2025', trustedKeys }),
    ).toEqual({
      ok: true,
      keyId: 'release-2025',
    });
  });

  it('ignores a trailing newline in the signature file', () => {
    const check = verifyDigestSignature({
      digest: DIGEST,
      signature: `${good}\n`,
      keyId: 'release-2025',
      trustedKeys,
    });
    expect(check.ok).toBe(true);
  });

  it('refuses a signature over another digest', () => {
    const check = verifyDigestSignature({
      digest: OTHER_DIGEST,
      signature: good,
      keyId: 'release-2025',
      trustedKeys,
    });
    expect(check).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a tampered signature', () => {
    const bytes = Buffer.from(good, 'base64');
    bytes[10] = (bytes[10] ?? 0) ^ 0x01;
    const check = verifyDigestSignature({
      digest: DIGEST,
      signature: bytes.toString('base64'),
      keyId: 'release-2025',
      trustedKeys,
    });
    expect(check).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a signature made by another key presented under the trusted key id', () => {
    const forged = signDigest(DIGEST, intruder.privateKey);
    const check = verifyDigestSignature({
      digest: DIGEST,
      signature: forged,
      keyId: 'release-2025',
      trustedKeys,
    });
    expect(check).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a key id that is not trusted, and names the trusted ones', () => {
    const signature = signDigest(DIGEST, intruder.privateKey);
    const check = verifyDigestSignature({ digest: DIGEST, signature, keyId: 'intruder', trustedKeys });
    expect(check).toMatchObject({ ok: false, reason: 'unknown-key' });
    expect(!check.ok && check.message).toContain('release-2025');
  });

  it.each([
    ['not base64', 'this is not base64!'],
    ['too short', Buffer.alloc(32).toString('base64')],
    ['empty', ''],
  ])('calls a signature that is %s malformed', (_what, signature) => {
    const check = verifyDigestSignature({ digest: DIGEST, signature, keyId: 'release-2025', trustedKeys });
    expect(check).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('calls a digest that is not sha256:<hex> malformed', () => {
    const check = verifyDigestSignature({
      digest: 'sha256:XYZ',
      signature: good,
      keyId: 'release-2025',
      trustedKeys,
    });
    expect(check).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('will not sign something that is not a digest', () => {
    expect(() => signDigest('latest', release.privateKey)).toThrow(/sha256/);
  });
});

describe('trusted keys', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ripcord-keys-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips through a JWKS-like file', async () => {
    const file = join(dir, 'trusted.json');
    await writeTrustedKeysFile(file, [release, intruder]);
    const document = JSON.parse(readFileSync(file, 'utf8')) as { keys: Array<Record<string, unknown>> };
    expect(document.keys.map((k) => [k.kid, k.kty, k.crv])).toEqual([
      ['release-2025', 'OKP', 'Ed25519'],
      ['intruder', 'OKP', 'Ed25519'],
    ]);
    const keys = await loadTrustedKeys(file);
    const signature = signDigest(DIGEST, intruder.privateKey);
    expect(
      verifyDigestSignature({ digest: DIGEST, signature, keyId: 'intruder', trustedKeys: keys }).ok,
    ).toBe(true);
  });

  it('refuses a private key in the trusted keys file', () => {
    const jwk = release.privateKey.export({ format: 'jwk' });
    expect(() => parseTrustedKeys({ keys: [{ ...jwk, kid: 'release-2025' }] })).toThrow(/private key/);
  });

  it('refuses a key id given twice', () => {
    expect(() => parseTrustedKeys({ keys: [publicJwk(release), publicJwk(release)] })).toThrow(
      /more than once/,
    );
  });

  it('refuses a key of another type, naming the field', () => {
    expect(() => parseTrustedKeys({ keys: [{ kid: 'k', kty: 'EC', crv: 'P-256', x: 'a' }] })).toThrow(
      /keys\.0\.kty/,
    );
  });

  it('says which file it cannot read', async () => {
    await expect(loadTrustedKeys(join(dir, 'missing.json'))).rejects.toThrow(KeyFileError);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    await expect(loadTrustedKeys(bad)).rejects.toThrow(/bad\.json is not JSON/);
  });

  it('stores a private key readable by its owner only, and reads it back', async () => {
    const file = join(dir, 'release.pem');
    await writePrivateKeyFile(file, release);
    expect(statSync(file).mode & 0o077).toBe(0);
    const read = await readPrivateKeyFile(file, 'release-2025');
    const signature = signDigest(DIGEST, read.privateKey);
    expect(verifyDigestSignature({ digest: DIGEST, signature, keyId: 'release-2025', trustedKeys }).ok).toBe(
      true,
    );
  });

  it('never echoes a private key file that does not parse', async () => {
    const file = join(dir, 'garbage.pem');
    writeFileSync(file, 'SECRET-MATERIAL-123');
    await expect(readPrivateKeyFile(file, 'k')).rejects.toThrow(/is not a PEM private key/);
    await expect(readPrivateKeyFile(file, 'k')).rejects.not.toThrow(/SECRET-MATERIAL/);
  });
});
