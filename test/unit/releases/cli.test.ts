import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseReleaseScenarioText } from '../../../src/releases/scenario-files';
import { RELEASE_DIR, ROOT } from './support';

const exec = promisify(execFile);
const CANARY_POLICY = path.join(ROOT, 'policies', 'examples', 'canary.yaml');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function ripcord(...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await exec('node', [path.join(ROOT, 'bin', 'ripcord.js'), ...args], {
      cwd: ROOT,
      maxBuffer: 20 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

jest.setTimeout(60_000);

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ripcord-release-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('ripcord simulate --release-scenario', () => {
  it('--json prints one line per release with exactly the contract fields', async () => {
    const out = await ripcord(
      'simulate',
      '--release-scenario',
      RELEASE_DIR,
      '--policy',
      CANARY_POLICY,
      '--json',
    );
    expect(out).toMatchObject({ code: 0, stderr: '' });
    const lines = out.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.scenario, l.decision, l.rollback])).toEqual([
      ['cascade-00', 'rollback', ['tax']],
      ['cascade-01', 'rollback', ['profile']],
      ['healthy-00', 'no-rollback', []],
      ['healthy-01', 'no-rollback', []],
      ['isolated-00', 'rollback', ['notifications']],
      ['isolated-01', 'rollback', ['payments']],
      ['systemic-00', 'escalate', []],
      ['systemic-01', 'escalate', []],
    ]);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(['scenario', 'decision', 'rollback', 'decidedAtIndex', 'reason']);
    }
  });

  it('without --json, says what each member did next to what its own guardian would have done', async () => {
    const out = await ripcord(
      'simulate',
      '--release-scenario',
      path.join(RELEASE_DIR, 'cascade-00.json'),
      '--policy',
      CANARY_POLICY,
    );
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/decision: ROLLBACK tax at interval 31/);
    expect(out.stdout).toMatch(/ledger +tax +kept: inherits tax +rollback at 32/);
    expect(out.stdout).toMatch(/inventory \(outside\) +error-rate +no degradation/);
  });

  describe('--release release.yaml', () => {
    const CASCADE = path.join(RELEASE_DIR, 'cascade-00.json');
    let dir: string;
    beforeAll(async () => {
      dir = path.join(tmp, 'release-files');
      await mkdir(dir, { recursive: true });
      const payments = await readFile(
        path.join(ROOT, 'policies', 'examples', 'release', 'payments.yaml'),
        'utf8',
      );
      for (const service of ['ledger', 'tax', 'billing']) {
        await writeFile(
          path.join(dir, `${service}.yaml`),
          payments.replace('service: payments', `service: ${service}`),
        );
      }
      // tax under a policy that tolerates twenty times its baseline's errors: its own policy, not --policy, judges it.
      await writeFile(
        path.join(dir, 'tax-loose.yaml'),
        payments
          .replace('service: payments', 'service: tax')
          .replace(
            'tolerance: { relative: 0.2, absolute: 0.001 }',
            'tolerance: { relative: 20, absolute: 0.5 }',
          ),
      );
    });

    /** cascade-00 (ledger calls tax; inventory outside) as a release file, with `edit` applied. */
    async function releaseFile(name: string, edit: (text: string) => string = (t) => t): Promise<string> {
      const file = path.join(dir, name);
      await writeFile(
        file,
        edit(
          [
            'apiVersion: ripcord/v1',
            'kind: Release',
            'metadata: { name: cascade-00, environment: production }',
            'members:',
            '  - { service: ledger, version: 2.0.0, previousVersion: 1.9.0, policy: ledger.yaml, dependsOn: [tax] }',
            '  - { service: tax, version: 2.0.0, previousVersion: 1.9.0, policy: tax.yaml }',
            'outside:',
            '  - { service: inventory, version: 1.0.0 }',
            '',
          ].join('\n'),
        ),
      );
      return file;
    }

    const simulate = (release: string, scenario = CASCADE) =>
      ripcord(
        'simulate',
        '--release-scenario',
        scenario,
        '--policy',
        CANARY_POLICY,
        '--release',
        release,
        '--json',
      );

    it('judges the release the file describes, with the same output contract', async () => {
      const out = await simulate(await releaseFile('release.yaml'));
      expect(out).toMatchObject({ code: 0, stderr: '' });
      const line = JSON.parse(out.stdout) as Record<string, unknown>;
      expect(Object.keys(line)).toEqual(['scenario', 'decision', 'rollback', 'decidedAtIndex', 'reason']);
      expect(line).toMatchObject({ scenario: 'cascade-00', decision: 'rollback', rollback: ['tax'] });
    });

    it('takes dependsOn from the release file: ledger calling nothing is its own culprit', async () => {
      const out = await simulate(
        await releaseFile('no-deps.yaml', (t) => t.replace(', dependsOn: [tax]', '')),
      );
      expect(JSON.parse(out.stdout)).toMatchObject({ decision: 'rollback', rollback: ['tax', 'ledger'] });
    });

    it('takes the mode from the release file: together rolls back every member, dependents first', async () => {
      const out = await simulate(
        await releaseFile('together.yaml', (t) => `${t}rollback: { mode: together }\n`),
      );
      expect(JSON.parse(out.stdout)).toMatchObject({ decision: 'rollback', rollback: ['ledger', 'tax'] });
    });

    it('judges each member under its own policy from the release file', async () => {
      const out = await simulate(
        await releaseFile('loose.yaml', (t) => t.replace('policy: tax.yaml', 'policy: tax-loose.yaml')),
      );
      const line = JSON.parse(out.stdout) as { decision: string; rollback: string[]; reason: string };
      expect(line.rollback).toEqual([]);
      expect(line.reason).toMatch(/ledger regressed but tax may cause it/);
    });

    it('refuses a scenario whose members are not the release file’s, naming both', async () => {
      const release = await releaseFile('other.yaml', (t) => t.replace(/ledger/g, 'billing'));
      const out = await simulate(release);
      expect(out.code).toBe(1);
      expect(out.stdout).toBe('');
      expect(out.stderr).toContain(
        `cascade-00.json: ${release} members[0] "billing" is not in scenario cascade-00 (its members: ledger, tax)`,
      );
      expect(out.stderr).toContain(
        `cascade-00.json: members.ledger: a member of scenario cascade-00 (inRelease: true) but not of ${release} (members: billing, tax)`,
      );
    });

    it('refuses an invalid release file as a usage error, every problem by field', async () => {
      const release = await releaseFile('bad.yaml', (t) =>
        t.replace('dependsOn: [tax]', 'dependsOn: [taxx]'),
      );
      const out = await simulate(release);
      expect(out.code).toBe(2);
      expect(out.stdout).toBe('');
      expect(out.stderr).toContain(
        'members[0].dependsOn[0]: "taxx" is neither a member nor an outside service (did you mean "tax"?)',
      );
      expect(out.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
    });
  });

  it('needs one kind of scenario: --scenario or --release-scenario', async () => {
    const neither = await ripcord('simulate', '--policy', CANARY_POLICY, '--json');
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/pass either --scenario or --release-scenario/);
    const both = await ripcord(
      'simulate',
      '--policy',
      CANARY_POLICY,
      '--scenario',
      RELEASE_DIR,
      '--release-scenario',
      RELEASE_DIR,
    );
    expect(both.code).toBe(2);
  });

  it('lists every problem of an invalid release scenario, naming the field, and simulates nothing', async () => {
    const doc = JSON.parse(await readFile(path.join(RELEASE_DIR, 'cascade-00.json'), 'utf8')) as {
      members: Record<string, { dependsOn: string[] }>;
    };
    (doc.members.tax as { dependsOn: string[] }).dependsOn = ['ledger'];
    const file = path.join(tmp, 'cyclic.json');
    await writeFile(file, JSON.stringify(doc));
    const out = await ripcord('simulate', '--release-scenario', file, '--policy', CANARY_POLICY, '--json');
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(
      /cyclic\.json: members\.ledger\.dependsOn: dependency cycle ledger → tax → ledger/,
    );
  });
});

describe('ripcord scenario generate --release', () => {
  it('writes seeded release scenarios that simulate reads', async () => {
    const out = path.join(tmp, 'generated');
    const generated = await ripcord(
      'scenario',
      'generate',
      '--release',
      '--kind',
      'systemic',
      '--seed',
      '3',
      '--count',
      '2',
      '--out',
      out,
    );
    expect(generated.code).toBe(0);
    const names = (await readdir(out)).sort();
    expect(names).toEqual(['release-systemic-s3-000.json', 'release-systemic-s3-001.json']);
    for (const name of names) {
      const scenario = parseReleaseScenarioText(await readFile(path.join(out, name), 'utf8'), name);
      expect(scenario.truth?.kind).toBe('systemic');
    }
    const judged = await ripcord('simulate', '--release-scenario', out, '--policy', CANARY_POLICY, '--json');
    expect(judged.code).toBe(0);
    for (const line of judged.stdout.trimEnd().split('\n')) {
      expect(JSON.parse(line)).toMatchObject({ decision: 'escalate', rollback: [] });
    }
  });

  it('refuses a deployment kind with --release, and a release kind without it', async () => {
    const wrong = await ripcord(
      'scenario',
      'generate',
      '--release',
      '--kind',
      'crash',
      '--seed',
      '1',
      '--out',
      tmp,
    );
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(
      /unknown release kind "crash"; with --release: isolated, cascade, systemic, healthy/,
    );
    const missing = await ripcord('scenario', 'generate', '--kind', 'cascade', '--seed', '1', '--out', tmp);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/"cascade" is a release kind: add --release/);
  });
});
