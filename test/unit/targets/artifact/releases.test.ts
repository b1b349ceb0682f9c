import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { verifyDigestSignature } from '../../../../src/security/artifact-signature';
import { generateSigningKey, parseTrustedKeys, publicJwk } from '../../../../src/security/keys';
import {
  activateRelease,
  createRelease,
  currentLink,
  currentVersion,
  directoryDigest,
  findReleaseByDigest,
  parseArtifactTargetConfig,
  readManifest,
  releaseDir,
  signatureFile,
  signRelease,
} from '../../../../src/targets/artifact';
import { tempDir } from '../helpers';

let dir: string;
beforeEach(() => {
  dir = tempDir('ripcord-releases-');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function tree(root: string, files: Record<string, string>): string {
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(root, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return root;
}

describe('directoryDigest', () => {
  it('is the same for the same files, whatever order they were written in', async () => {
    const a = tree(path.join(dir, 'a'), { 'server.js': 'x', 'lib/util.js': 'y' });
    const b = tree(path.join(dir, 'b'), { 'lib/util.js': 'y', 'server.js': 'x' });
    expect(await directoryDigest(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await directoryDigest(a)).toBe(await directoryDigest(b));
  });

  it('changes when a file changes, moves, or is added', async () => {
    const base = await directoryDigest(tree(path.join(dir, 'a'), { 'server.js': 'x', 'lib/util.js': 'y' }));
    const changed = await directoryDigest(
      tree(path.join(dir, 'b'), { 'server.js': 'x!', 'lib/util.js': 'y' }),
    );
    const moved = await directoryDigest(tree(path.join(dir, 'c'), { 'server.js': 'x', 'lib/other.js': 'y' }));
    const added = await directoryDigest(
      tree(path.join(dir, 'd'), { 'server.js': 'x', 'lib/util.js': 'y', 'extra.txt': '' }),
    );
    // Content shifted from one file into the next must not hash the same either.
    const shifted = await directoryDigest(
      tree(path.join(dir, 'e'), { 'server.js': 'xy', 'lib/util.js': '' }),
    );
    expect(new Set([base, changed, moved, added, shifted]).size).toBe(5);
  });

  it('leaves out manifest.json and signature files at the top', async () => {
    const root = tree(path.join(dir, 'a'), { 'server.js': 'x' });
    const before = await directoryDigest(root);
    writeFileSync(path.join(root, 'manifest.json'), '{}');
    writeFileSync(path.join(root, 'extra.sig'), 'abc');
    expect(await directoryDigest(root)).toBe(before);
  });

  it('refuses a symlink inside a release', async () => {
    const root = tree(path.join(dir, 'a'), { 'server.js': 'x' });
    symlinkSync('/etc/hostname', path.join(root, 'link'));
    await expect(directoryDigest(root)).rejects.toThrow(/link .* is a symlink/);
  });
});

describe('release layout', () => {
  const releasesDir = () => path.join(dir, 'releases');

  it('creates a version with its manifest, signs it, and switches current to it', async () => {
    const key = generateSigningKey('k1');
    const v1 = await createRelease({
      releasesDir: releasesDir(),
      service: 'checkout',
      version: '1.0.0',
      files: { 'server.js': 'one', 'static/index.html': '<p>1</p>' },
    });
    expect(v1.dir).toBe(path.join(releasesDir(), 'checkout', 'releases', '1.0.0'));
    expect(await readManifest(v1.dir)).toEqual({ service: 'checkout', version: '1.0.0', digest: v1.digest });
    expect(await directoryDigest(v1.dir)).toBe(v1.digest);

    const signed = await signRelease({
      releasesDir: releasesDir(),
      service: 'checkout',
      version: '1.0.0',
      key,
    });
    expect(signed.file).toBe(`${v1.dir}.sig`);
    const signature = readFileSync(signatureFile(releasesDir(), 'checkout', '1.0.0'), 'utf8');
    const trustedKeys = parseTrustedKeys({ keys: [publicJwk(key)] });
    expect(verifyDigestSignature({ digest: v1.digest, signature, keyId: 'k1', trustedKeys }).ok).toBe(true);

    expect(await currentVersion(releasesDir(), 'checkout')).toBeNull();
    expect(
      await activateRelease({ releasesDir: releasesDir(), service: 'checkout', version: '1.0.0' }),
    ).toEqual({
      previous: null,
      current: '1.0.0',
    });
    expect(readlinkSync(currentLink(releasesDir(), 'checkout'))).toBe('releases/1.0.0');
    expect(readFileSync(path.join(currentLink(releasesDir(), 'checkout'), 'server.js'), 'utf8')).toBe('one');
  });

  it('copies a source directory into a release, leaving no staging directory behind', async () => {
    const source = tree(path.join(dir, 'build'), { 'server.js': 'built', 'manifest.json': '{"stale":true}' });
    const release = await createRelease({
      releasesDir: releasesDir(),
      service: 'checkout',
      version: '3.1.0',
      sourceDir: source,
    });
    expect(await readManifest(release.dir)).toMatchObject({ version: '3.1.0', digest: release.digest });
    expect(await directoryDigest(release.dir)).toBe(release.digest);
    expect(await findReleaseByDigest(releasesDir(), 'checkout', release.digest)).toMatchObject({
      kind: 'found',
    });
    const entries = readFileSync(path.join(release.dir, 'server.js'), 'utf8');
    expect(entries).toBe('built');
  });

  it('refuses to create a version twice unless told to overwrite', async () => {
    const options = { releasesDir: releasesDir(), service: 'checkout', version: '1.0.0', files: { a: '1' } };
    await createRelease(options);
    await expect(createRelease(options)).rejects.toThrow(/already exists/);
    const again = await createRelease({ ...options, files: { a: '2' }, overwrite: true });
    expect(readFileSync(path.join(again.dir, 'a'), 'utf8')).toBe('2');
  });

  it('refuses names that would leave the releases directory', async () => {
    await expect(
      createRelease({
        releasesDir: releasesDir(),
        service: 'checkout',
        version: '../evil',
        files: { a: '1' },
      }),
    ).rejects.toThrow(/cannot name a directory/);
    await expect(
      createRelease({
        releasesDir: releasesDir(),
        service: 'checkout',
        version: '1',
        files: { '../a': '1' },
      }),
    ).rejects.toThrow(/must be relative/);
  });

  it('will not sign a release whose files no longer match its manifest', async () => {
    const release = await createRelease({
      releasesDir: releasesDir(),
      service: 'checkout',
      version: '1.0.0',
      files: { 'server.js': 'one' },
    });
    appendFileSync(path.join(release.dir, 'server.js'), '// backdoor');
    await expect(
      signRelease({
        releasesDir: releasesDir(),
        service: 'checkout',
        version: '1.0.0',
        key: generateSigningKey('k'),
      }),
    ).rejects.toThrow(/not signing/);
    expect(existsSync(signatureFile(releasesDir(), 'checkout', '1.0.0'))).toBe(false);
  });

  it('finds a release by its digest only while its files still hash to it', async () => {
    const v1 = await createRelease({
      releasesDir: releasesDir(),
      service: 'checkout',
      version: '1.0.0',
      files: { a: '1' },
    });
    await createRelease({
      releasesDir: releasesDir(),
      service: 'checkout',
      version: '2.0.0',
      files: { a: '2' },
    });
    expect(await findReleaseByDigest(releasesDir(), 'checkout', v1.digest)).toEqual({
      kind: 'found',
      release: { service: 'checkout', version: '1.0.0', dir: v1.dir, digest: v1.digest },
    });
    writeFileSync(path.join(releaseDir(releasesDir(), 'checkout', '1.0.0'), 'a'), 'tampered');
    expect(await findReleaseByDigest(releasesDir(), 'checkout', v1.digest)).toMatchObject({
      kind: 'tampered',
      version: '1.0.0',
    });
    expect(await findReleaseByDigest(releasesDir(), 'checkout', `sha256:${'0'.repeat(64)}`)).toEqual({
      kind: 'not-found',
      versions: ['1.0.0', '2.0.0'],
    });
  });

  it('refuses a current that points outside the releases', async () => {
    mkdirSync(path.join(releasesDir(), 'checkout'), { recursive: true });
    symlinkSync('/tmp', currentLink(releasesDir(), 'checkout'));
    await expect(currentVersion(releasesDir(), 'checkout')).rejects.toThrow(/outside the releases/);
  });
});

describe('ArtifactTargetConfig', () => {
  const valid = {
    type: 'local-process',
    releasesDir: '/srv/releases',
    trustedKeysFile: '/etc/ripcord/artifact-keys.json',
    services: {
      checkout: { versionUrl: 'http://127.0.0.1:8080/version', restart: { pidFile: '/run/checkout.pid' } },
      search: {
        versionUrl: 'http://127.0.0.1:8081/version',
        restart: { command: ['systemctl', 'restart', 'search'] },
      },
    },
  };

  it('fills the defaults', () => {
    const config = parseArtifactTargetConfig(valid);
    expect(config.services.checkout).toEqual({
      versionUrl: 'http://127.0.0.1:8080/version',
      restart: { pidFile: '/run/checkout.pid', signal: 'SIGHUP' },
      readyTimeoutSeconds: 30,
    });
    expect(config.services.search?.restart).toEqual({
      command: ['systemctl', 'restart', 'search'],
      timeoutSeconds: 60,
    });
  });

  it('names the field at fault', () => {
    const bad = {
      ...valid,
      services: { checkout: { versionUrl: 'not a url', restart: { pidFile: '/run/x.pid' } } },
    };
    expect(() => parseArtifactTargetConfig(bad)).toThrow(/services\.checkout\.versionUrl/);
    expect(() => parseArtifactTargetConfig({ ...valid, type: 'kubernetes' })).toThrow(/type/);
  });
});
