import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PolicyReadError } from '../../../src/policy';
import {
  DEFAULT_SETTLE_SECONDS,
  isReleaseFile,
  loadReleaseFile,
  parseReleaseFileText,
  ReleaseFileError,
} from '../../../src/releases/release-file';
import { ROOT } from './support';

const EXAMPLE_DIR = path.join(ROOT, 'policies', 'examples', 'release');
const EXAMPLE = path.join(EXAMPLE_DIR, 'release.yaml');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ripcord-release-file-'));
  for (const name of ['payments.yaml', 'checkout.yaml']) {
    await copyFile(path.join(EXAMPLE_DIR, name), path.join(dir, name));
  }
  await copyFile(path.join(ROOT, 'policies', 'examples', 'canary.yaml'), path.join(dir, 'canary.yaml'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A release file in the temporary folder (beside copies of the example member policies). */
const GOOD = `apiVersion: ripcord/v1
kind: Release
metadata:
  name: shop-2026-12
  environment: production
members:
  - service: payments
    version: 2.0.0
    previousVersion: 1.9.0
    policy: payments.yaml
    dependsOn: [db-proxy]
  - service: checkout
    version: 2.0.0
    previousVersion: 1.9.0
    policy: checkout.yaml
    dependsOn: [payments]
outside:
  - service: db-proxy
    version: 1.0.0
`;

async function problemsOf(text: string): Promise<string[]> {
  const file = path.join(dir, 'release.yaml');
  try {
    await parseReleaseFileText(text, file);
  } catch (error) {
    if (error instanceof ReleaseFileError) return error.problems;
    throw error;
  }
  throw new Error('expected the release file to be refused');
}

describe('the example release file', () => {
  it('loads with its members, their policies, the outside service and the defaults', async () => {
    const release = await loadReleaseFile(EXAMPLE);
    expect(release).toMatchObject({
      file: EXAMPLE,
      name: 'shop-2026-12',
      environment: 'production',
      mode: 'independent',
      settleSeconds: 60,
    });
    expect(release.watchSeconds).toBeUndefined();
    expect(release.members.map((m) => [m.service, m.version, m.previousVersion, m.dependsOn])).toEqual([
      ['payments', '2.0.0', '1.9.0', ['db-proxy']],
      ['checkout', '2.0.0', '1.9.0', ['payments']],
    ]);
    for (const member of release.members) {
      expect(member.policy.policy.metadata.service).toBe(member.service);
      expect(member.policy.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
    // No policy of its own: the first member's, its series read for db-proxy.
    expect(release.outside).toHaveLength(1);
    expect(release.outside[0]).toMatchObject({ service: 'db-proxy', version: '1.0.0', dependsOn: [] });
    expect(release.outside[0]?.policyDefaulted).toBe(true);
    expect(release.outside[0]?.policy.filename).toBe(path.join(EXAMPLE_DIR, 'payments.yaml'));
  });

  it('is told from a policy file by its kind', async () => {
    expect(await isReleaseFile(EXAMPLE)).toBe(true);
    expect(await isReleaseFile(path.join(EXAMPLE_DIR, 'payments.yaml'))).toBe(false);
    expect(await isReleaseFile(path.join(dir, 'no-such-file.yaml'))).toBe(false);
  });
});

describe('release.yaml', () => {
  it('takes the optional fields as written', async () => {
    const release = await parseReleaseFileText(
      GOOD.replace(
        'members:',
        'rollback: { mode: together, settleSeconds: 0 }\nwatchSeconds: 900\nmembers:',
      ).replace(
        'outside:',
        '    artifactDigest: sha256:' +
          'a'.repeat(64) +
          '\n    previousDigest: sha256:' +
          'b'.repeat(64) +
          '\noutside:',
      ),
      path.join(dir, 'release.yaml'),
    );
    expect(release).toMatchObject({ mode: 'together', settleSeconds: 0, watchSeconds: 900 });
    expect(release.members[1]).toMatchObject({
      artifactDigest: `sha256:${'a'.repeat(64)}`,
      previousDigest: `sha256:${'b'.repeat(64)}`,
    });
    const defaults = await parseReleaseFileText(GOOD, path.join(dir, 'release.yaml'));
    expect(defaults).toMatchObject({ mode: 'independent', settleSeconds: DEFAULT_SETTLE_SECONDS });
  });

  it('names a dependency that is neither a member nor an outside service', async () => {
    expect(await problemsOf(GOOD.replace('dependsOn: [payments]', 'dependsOn: [paymnts]'))).toEqual([
      'members[1].dependsOn[0]: "paymnts" is neither a member nor an outside service (did you mean "payments"?)',
    ]);
  });

  it('refuses a service listed twice, also across members and outside', async () => {
    expect(
      await problemsOf(GOOD.replace('service: db-proxy', 'service: payments').replace('[db-proxy]', '[]')),
    ).toEqual(['outside[0].service: "payments" is already listed at members[0].service']);
  });

  it('needs at least one member', async () => {
    expect(await problemsOf(GOOD.replace(/members:[\s\S]*outside:/, 'members: []\noutside:'))).toEqual([
      'members: must list at least one member',
    ]);
  });

  it('refuses a dependency cycle, naming it', async () => {
    const cyclic = GOOD.replace('dependsOn: [db-proxy]', 'dependsOn: [db-proxy, checkout]');
    expect(await problemsOf(cyclic)).toEqual([
      'members[1].dependsOn: dependency cycle checkout → payments → checkout: the graph must be acyclic',
    ]);
  });

  it('refuses a service that depends on itself', async () => {
    expect(await problemsOf(GOOD.replace('dependsOn: [payments]', 'dependsOn: [checkout]'))).toEqual([
      'members[1].dependsOn[0]: "checkout" is the service itself: a service cannot depend on itself',
    ]);
  });

  it("refuses a member whose policy is another service's, naming the file", async () => {
    expect(await problemsOf(GOOD.replace('policy: payments.yaml', 'policy: checkout.yaml'))).toEqual([
      'members[0].policy: checkout.yaml is the policy of "checkout" (metadata.service), not of "payments"',
    ]);
  });

  it('refuses a member whose policy is for another environment, naming the file', async () => {
    expect(await problemsOf(GOOD.replace('environment: production', 'environment: staging'))).toEqual([
      'members[0].policy: payments.yaml is for environment "production" (metadata.environment), the release for "staging"',
      'members[1].policy: checkout.yaml is for environment "production" (metadata.environment), the release for "staging"',
    ]);
  });

  it('names a missing policy file by its field and path', async () => {
    expect(await problemsOf(GOOD.replace('policy: checkout.yaml', 'policy: policies/nope.yaml'))).toEqual([
      `members[1].policy: policies/nope.yaml: cannot read ${path.join(dir, 'policies', 'nope.yaml')}: no such file`,
    ]);
  });

  it("lists an invalid member policy's own problems under its field", async () => {
    const broken = path.join(dir, 'broken.yaml');
    await writeFile(broken, 'apiVersion: ripcord/v1\nkind: RollbackPolicy\n');
    const problems = await problemsOf(GOOD.replace('policy: checkout.yaml', 'policy: broken.yaml'));
    expect(problems[0]).toMatch(
      /^members\[1\]\.policy: broken\.yaml: is not a valid policy \(\d+ problem\(s\)\)$/,
    );
    expect(problems).toContain(
      '    metadata: is required; expected a mapping (key: value), found nothing (the key is missing)',
    );
  });

  it('refuses unknown keys, suggesting the one meant', async () => {
    expect(
      await problemsOf(
        GOOD.replace('policy: payments.yaml', 'policy: payments.yaml\n    dependOn: []').replace(
          'kind: Release',
          'kind: Release\nowner: me',
        ),
      ),
    ).toEqual([
      'members[0].dependOn: is not a known key (did you mean "dependsOn"?)',
      'owner: is not a known key (known: apiVersion, kind, metadata, rollback, watchSeconds, members, outside)',
    ]);
  });

  it('names missing and malformed fields', async () => {
    expect(
      await problemsOf(
        GOOD.replace('name: shop-2026-12', 'name: shop 2026/12').replace(
          '    version: 2.0.0\n    previousVersion: 1.9.0\n    policy: payments.yaml',
          '    version: 2.0\n    policy: payments.yaml',
        ),
      ),
    ).toEqual([
      'metadata.name: must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit (it becomes part of a workflow id)',
      "members[0].version: is the number 2: quote it ('2') so YAML keeps the version as written",
      'members[0].previousVersion: is required',
    ]);
  });

  it('refuses a mode it does not know and equal versions', async () => {
    expect(
      await problemsOf(
        GOOD.replace('members:', 'rollback: { mode: alone }\nmembers:').replace(
          'previousVersion: 1.9.0',
          'previousVersion: 2.0.0',
        ),
      ),
    ).toEqual([
      'rollback.mode: must be "independent" or "together"',
      'members[0].previousVersion: "2.0.0" equals version: the canary and the baseline are told apart by version',
    ]);
  });

  it('refuses a watch shorter than a member policy’s first interval', async () => {
    expect(await problemsOf(GOOD.replace('members:', 'watchSeconds: 20\nmembers:'))).toEqual([
      'watchSeconds: 20s is shorter than the warm-up plus one interval of members[0] (30s in payments.yaml): its health would never be judged',
      'watchSeconds: 20s is shorter than the warm-up plus one interval of members[1] (30s in checkout.yaml): its health would never be judged',
    ]);
  });

  it("checks an outside service's own policy like a member's, and uses it", async () => {
    expect(
      await problemsOf(GOOD.replace('version: 1.0.0', 'version: 1.0.0\n    policy: canary.yaml')),
    ).toEqual([
      'outside[0].policy: canary.yaml is the policy of "checkout" (metadata.service), not of "db-proxy"',
    ]);
  });

  it('reports a YAML syntax error with its line, and an empty file', async () => {
    expect(await problemsOf(`${GOOD}members: []\n`)).toEqual([
      expect.stringMatching(/^\(document\) \(line 20\): Map keys must be unique/),
    ]);
    expect(await problemsOf('  \n')).toEqual(['the release file is empty']);
  });

  it('refuses a policy file given as a release, saying what kind it needs', async () => {
    const problems = await problemsOf('apiVersion: ripcord/v1\nkind: RollbackPolicy\nmetadata: {}\n');
    expect(problems).toContain('kind: must be "Release"');
    expect(problems).toContain('members: is required');
  });

  it('throws PolicyReadError for a release file it cannot read', async () => {
    await expect(loadReleaseFile(path.join(dir, 'missing.yaml'))).rejects.toThrow(PolicyReadError);
    await expect(loadReleaseFile(path.join(dir, 'missing.yaml'))).rejects.toThrow(/no such file/);
  });
});
