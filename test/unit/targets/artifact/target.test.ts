import { appendFileSync, existsSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateSigningKey, writeTrustedKeysFile } from '../../../../src/security/keys';
import { PermanentStepError, StepVerificationError } from '../../../../src/targets';
import {
  activateRelease,
  ArtifactTarget,
  type ArtifactTargetConfigInput,
  currentLink,
  parseArtifactTargetConfig,
  signatureFile,
  signRelease,
} from '../../../../src/targets/artifact';
import { tempDir } from '../helpers';
import {
  inProcessService,
  liveContext,
  type ReleaseFixture,
  revertStep,
  SERVICE,
  twoSignedReleases,
} from './fixtures';

/**
 * The target against an in-process stand-in for the service (it reports
 * whatever `current` points to), with a restart command that only leaves a
 * mark: the whole protocol without real processes, which the integration test
 * adds.
 */
let dir: string;
let fixture: ReleaseFixture;
let service: Awaited<ReturnType<typeof inProcessService>>;
let restarts: string;

function target(overrides: Partial<ArtifactTargetConfigInput> = {}, readyTimeoutSeconds = 5): ArtifactTarget {
  return new ArtifactTarget(
    parseArtifactTargetConfig({
      type: 'local-process',
      releasesDir: fixture.releasesDir,
      trustedKeysFile: fixture.trustedKeysFile,
      services: {
        [SERVICE]: {
          versionUrl: service.url,
          // Appends "<version>\n" to the restarts file: how many restarts, into what.
          restart: {
            command: [
              process.execPath,
              '-e',
              'require("fs").appendFileSync(process.argv[1], process.env.RIPCORD_RELEASE_VERSION + "\\n")',
              restarts,
            ],
          },
          readyTimeoutSeconds,
        },
      },
      ...overrides,
    }),
  );
}

function restartLog(): string[] {
  return existsSync(restarts) ? readFileSync(restarts, 'utf8').split('\n').filter(Boolean) : [];
}
function live(): string {
  return readlinkSync(currentLink(fixture.releasesDir, SERVICE));
}

beforeEach(async () => {
  dir = tempDir('ripcord-artifact-');
  restarts = path.join(dir, 'restarts.log');
  fixture = await twoSignedReleases(dir, (version) => ({ 'server.js': `// checkout ${version}\n` }));
  await activateRelease({ releasesDir: fixture.releasesDir, service: SERVICE, version: '2.0.0' });
  service = await inProcessService(fixture.releasesDir);
});

afterEach(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ArtifactTarget', () => {
  it('reverts to the signed previous release, once, and compensation brings the new one back', async () => {
    const artifact = target();
    const step = revertStep(fixture.v1.digest, 'release-key');
    const ctx = liveContext();

    const first = await artifact.apply(step, ctx);
    expect(first.applied).toBe(true);
    expect(first.detail).toContain('2.0.0 → 1.0.0');
    expect(live()).toBe('releases/1.0.0');
    expect(restartLog()).toEqual(['1.0.0']);
    expect(await artifact.verify(step, ctx)).toBe(
      `checkout runs 1.0.0 (${fixture.v1.digest}) from releases/1.0.0`,
    );

    const again = await artifact.apply(step, ctx);
    expect(again.applied).toBe(false);
    expect(restartLog()).toEqual(['1.0.0']);

    const undone = await artifact.compensate(step, ctx);
    expect(undone).toEqual({ compensated: true, detail: `restored checkout 2.0.0 (${fixture.v2.digest})` });
    expect(live()).toBe('releases/2.0.0');
    expect(restartLog()).toEqual(['1.0.0', '2.0.0']);

    expect((await artifact.compensate(step, ctx)).detail).toMatch(/^already undone/);
    expect(restartLog()).toEqual(['1.0.0', '2.0.0']);
    await expect(artifact.apply(step, ctx)).rejects.toThrow(/already undone/);
  });

  it('remembers the step across target instances (a worker restarted after a crash)', async () => {
    const step = revertStep(fixture.v1.digest, 'release-key');
    await target().apply(step, liveContext());
    expect((await target().apply(step, liveContext())).applied).toBe(false);
    expect((await target().compensate(step, liveContext())).compensated).toBe(true);
    expect(live()).toBe('releases/2.0.0');
  });

  it('finishes a step interrupted after the switch without taking a new snapshot', async () => {
    const step = revertStep(fixture.v1.digest, 'release-key');
    // The first attempt switched and restarted, then the service never came up: the attempt fails.
    service.override.body = { version: '2.0.0', digest: fixture.v2.digest };
    await expect(target({}, 1).apply(step, liveContext())).rejects.toThrow(/did not report 1\.0\.0/);
    expect(live()).toBe('releases/1.0.0');
    // The retry finds the service healthy on 1.0.0; the snapshot is still 2.0.0.
    delete service.override.body;
    const retry = await target().apply(step, liveContext());
    expect(retry.applied).toBe(true);
    expect((await target().compensate(step, liveContext())).detail).toContain('2.0.0');
    expect(live()).toBe('releases/2.0.0');
  });

  it('leaves a release that is already live alone and says so', async () => {
    const step = revertStep(fixture.v2.digest, 'release-key');
    const result = await target().apply(step, liveContext());
    expect(result).toMatchObject({ applied: false, detail: expect.stringContaining('nothing changed') });
    expect(restartLog()).toEqual([]);
  });

  describe('refuses before anything changes', () => {
    async function expectRefused(step: ReturnType<typeof revertStep>, reason: RegExp) {
      const artifact = target();
      const error = await artifact.apply(step, liveContext()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentStepError);
      expect((error as Error).message).toMatch(reason);
      expect(live()).toBe('releases/2.0.0');
      expect(restartLog()).toEqual([]);
      // Nothing was snapshotted either: compensation has nothing to undo.
      expect(await artifact.compensate(step, liveContext())).toMatchObject({ compensated: false });
    }

    it('a release whose files were altered after signing', async () => {
      appendFileSync(path.join(fixture.v1.dir, 'server.js'), 'process.exit(1)\n');
      await expectRefused(revertStep(fixture.v1.digest, 'release-key'), /altered or incomplete/);
    });

    it('a release without a signature', async () => {
      rmSync(signatureFile(fixture.releasesDir, SERVICE, '1.0.0'));
      await expectRefused(revertStep(fixture.v1.digest, 'release-key'), /is not signed/);
    });

    it('a signature by a key that is not trusted', async () => {
      const stranger = generateSigningKey('stranger');
      await signRelease({
        releasesDir: fixture.releasesDir,
        service: SERVICE,
        version: '1.0.0',
        key: stranger,
      });
      await expectRefused(
        revertStep(fixture.v1.digest, 'stranger'),
        /unknown-key.*"stranger" is not a trusted key/,
      );
    });

    it('a signature by another key than the step names', async () => {
      const other = generateSigningKey('other-key');
      await writeTrustedKeysFile(fixture.trustedKeysFile, [fixture.key, other]);
      await signRelease({ releasesDir: fixture.releasesDir, service: SERVICE, version: '1.0.0', key: other });
      await expectRefused(revertStep(fixture.v1.digest, 'release-key'), /bad-signature/);
    });

    it('a signature file that is not a signature', async () => {
      writeFileSync(signatureFile(fixture.releasesDir, SERVICE, '1.0.0'), 'looks fine to me');
      await expectRefused(revertStep(fixture.v1.digest, 'release-key'), /malformed/);
    });

    it('a digest no release has', async () => {
      await expectRefused(
        revertStep(`sha256:${'e'.repeat(64)}`, 'release-key'),
        /no release of checkout has digest/,
      );
    });

    it('a trusted keys file that cannot be read', async () => {
      rmSync(fixture.trustedKeysFile);
      await expectRefused(revertStep(fixture.v1.digest, 'release-key'), /cannot read trusted keys file/);
    });
  });

  it('fails permanently for a service it has no configuration for', async () => {
    const ctx = liveContext({ ...liveContext().deployment, service: 'billing' });
    await expect(target().apply(revertStep(fixture.v1.digest, 'release-key'), ctx)).rejects.toThrow(
      /no local-process service "billing" \(configured: checkout\)/,
    );
  });

  it('verification reads the service back and rejects what it does not expect', async () => {
    const artifact = target();
    const step = revertStep(fixture.v1.digest, 'release-key');
    await artifact.apply(step, liveContext());
    service.override.body = { version: '2.0.0', digest: fixture.v2.digest };
    const error = await artifact.verify(step, liveContext()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepVerificationError);
    expect((error as Error).message).toContain(`it reports 2.0.0 (${fixture.v2.digest})`);
    service.override.body = undefined;
    service.override.status = 500;
    await expect(artifact.verify(step, liveContext())).rejects.toThrow(/answered HTTP 500/);
  });

  it('reports a restart command that fails, with its output', async () => {
    const artifact = target({
      services: {
        [SERVICE]: {
          versionUrl: service.url,
          restart: { command: [process.execPath, '-e', 'console.error("unit not found"); process.exit(3)'] },
        },
      },
    });
    await expect(artifact.apply(revertStep(fixture.v1.digest, 'release-key'), liveContext())).rejects.toThrow(
      /restart command .* failed \(exit 3\): unit not found/,
    );
  });
});
