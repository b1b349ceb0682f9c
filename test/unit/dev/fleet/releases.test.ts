import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRelease,
  currentLink,
  readManifest,
  releaseDigest,
  releaseDir,
  ReleaseError,
  switchCurrent,
} from '../../../../src/dev/fleet/releases';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-releases-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('release digest', () => {
  test('is sha256 over sorted relative paths and contents, each followed by a NUL byte', () => {
    const release = join(dir, 'r');
    mkdirSync(join(release, 'a'), { recursive: true });
    writeFileSync(join(release, 'a', 'b.txt'), 'hi');
    writeFileSync(join(release, 'VERSION'), '1.0\n');
    // The same bytes hashed by hand, so the format is pinned for every other reader of it.
    const expected = createHash('sha256')
      .update('VERSION\u00001.0\n\u0000a/b.txt\u0000hi\u0000')
      .digest('hex');
    expect(expected).toBe('3d07db2163398b6572d2e58ff2164f0dc6dd81c009feb4192c5a380de44cc415');
    expect(releaseDigest(release)).toBe(`sha256:${expected}`);
  });

  test('leaves out manifest.json and signatures, but not other files', () => {
    const release = join(dir, 'r');
    mkdirSync(release);
    writeFileSync(join(release, 'app.js'), 'x');
    const before = releaseDigest(release);
    writeFileSync(join(release, 'manifest.json'), '{}');
    writeFileSync(join(release, 'manifest.json.sig'), 'signature');
    expect(releaseDigest(release)).toBe(before);
    writeFileSync(join(release, 'notes.txt'), '');
    expect(releaseDigest(release)).not.toBe(before);
  });

  test('a renamed file or a moved byte changes it', () => {
    const one = createRelease({ releasesDir: dir, service: 's', version: '1', files: { a: 'bc' } });
    const two = createRelease({ releasesDir: dir, service: 's', version: '2', files: { ab: 'c' } });
    const three = createRelease({ releasesDir: dir, service: 's', version: '3', files: { b: 'bc' } });
    expect(new Set([one.digest, two.digest, three.digest]).size).toBe(3);
  });
});

describe('release layout', () => {
  test('createRelease writes <releasesDir>/<service>/releases/<version> with its manifest', () => {
    const created = createRelease({
      releasesDir: dir,
      service: 'checkout',
      version: '2.0.0',
      files: { 'behaviour.json': '{}', 'conf/app.ini': 'x=1' },
    });
    expect(created.dir).toBe(join(dir, 'checkout', 'releases', '2.0.0'));
    expect(releaseDir(dir, 'checkout', '2.0.0')).toBe(created.dir);
    expect(readManifest(created.dir)).toEqual({
      service: 'checkout',
      version: '2.0.0',
      digest: releaseDigest(created.dir),
    });
  });

  test('the same files give the same digest on another host', () => {
    const a = createRelease({ releasesDir: join(dir, 'a'), service: 's', version: '1', files: { x: '1' } });
    const b = createRelease({ releasesDir: join(dir, 'b'), service: 's', version: '1', files: { x: '1' } });
    expect(a.digest).toBe(b.digest);
  });

  test('switchCurrent points a relative symlink at the release and replaces it atomically', () => {
    createRelease({ releasesDir: dir, service: 'checkout', version: '1.9.0', files: { VERSION: '1.9.0' } });
    createRelease({ releasesDir: dir, service: 'checkout', version: '2.0.0', files: { VERSION: '2.0.0' } });
    switchCurrent(dir, 'checkout', '2.0.0');
    const link = currentLink(dir, 'checkout');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('releases/2.0.0');
    expect(readManifest(link).version).toBe('2.0.0');
    switchCurrent(dir, 'checkout', '1.9.0');
    expect(readlinkSync(link)).toBe('releases/1.9.0');
    expect(readManifest(link).version).toBe('1.9.0');
  });

  test('switchCurrent refuses a version that is not installed, and leaves current alone', () => {
    createRelease({ releasesDir: dir, service: 'checkout', version: '1.9.0', files: { VERSION: '1.9.0' } });
    switchCurrent(dir, 'checkout', '1.9.0');
    expect(() => switchCurrent(dir, 'checkout', '3.0.0')).toThrow(ReleaseError);
    expect(readlinkSync(currentLink(dir, 'checkout'))).toBe('releases/1.9.0');
  });

  test('a broken manifest is named with its field', () => {
    const release = join(dir, 'bad');
    mkdirSync(release);
    writeFileSync(
      join(release, 'manifest.json'),
      JSON.stringify({ service: 's', version: '1', digest: 'md5:x' }),
    );
    expect(() => readManifest(release)).toThrow(/digest: digest must be sha256:<64 hex>/);
    writeFileSync(join(release, 'manifest.json'), 'not json');
    expect(() => readManifest(release)).toThrow(/cannot read .*manifest\.json/);
  });

  test('the manifest cannot be passed in as a file', () => {
    expect(() =>
      createRelease({ releasesDir: dir, service: 's', version: '1', files: { 'manifest.json': '{}' } }),
    ).toThrow(ReleaseError);
  });
});
