import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './support';

const BIN = path.join(ROOT, 'bin', 'ripcord.js');
const EXAMPLE_DIR = path.join(ROOT, 'policies', 'examples', 'release');
const EXAMPLE = path.join('policies', 'examples', 'release', 'release.yaml');

function ripcord(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd: ROOT,
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ripcord-release-cli-'));
  for (const name of ['payments.yaml', 'checkout.yaml']) {
    copyFileSync(path.join(EXAMPLE_DIR, name), path.join(dir, name));
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The example release with `edit` applied, beside copies of its policies. */
function variant(name: string, edit: (text: string) => string): string {
  const file = path.join(dir, name);
  writeFileSync(file, edit(readFileSync(path.join(ROOT, EXAMPLE), 'utf8')));
  return file;
}

jest.setTimeout(60_000);

describe('ripcord policy validate with a release file', () => {
  it('checks the release and every policy it names, and exits 0', () => {
    const out = ripcord('policy', 'validate', EXAMPLE, 'policies/examples/canary.yaml');
    expect(out.code).toBe(0);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`ok ${EXAMPLE} (release shop-2026-12, 2 member(s))`);
    expect(lines[1]).toMatch(
      /^ {2}ok members\[0\] payments: policies\/examples\/release\/payments\.yaml \(sha256:[0-9a-f]{64}\)$/,
    );
    expect(lines[2]).toMatch(
      /^ {2}ok members\[1\] checkout: policies\/examples\/release\/checkout\.yaml \(sha256:[0-9a-f]{64}\)$/,
    );
    expect(lines[3]).toMatch(
      /^ {2}ok outside\[0\] db-proxy: .*payments\.yaml \(sha256:[0-9a-f]{64}\), the first member's policy$/,
    );
    expect(lines[4]).toMatch(/^ok policies\/examples\/canary\.yaml/);
  });

  it('lists every problem with its field and exits 2, as for an invalid policy', () => {
    const file = variant('bad.yaml', (t) =>
      t
        .replace('dependsOn: [payments]', 'dependsOn: [paymnts]')
        .replace('policy: payments.yaml', 'policy: nope.yaml'),
    );
    const out = ripcord('policy', 'validate', file);
    expect(out.code).toBe(2);
    expect(out.stdout).toContain(`invalid ${file}: 2 problem(s)`);
    expect(out.stdout).toContain(
      '  members[1].dependsOn[0]: "paymnts" is neither a member nor an outside service (did you mean "payments"?)',
    );
    expect(out.stdout).toContain(
      `  members[0].policy: nope.yaml: cannot read ${path.join(dir, 'nope.yaml')}: no such file`,
    );
    expect(`${out.stdout}${out.stderr}`).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
  });

  it('--json reports the release and its policies', () => {
    const bad = variant('cyclic.yaml', (t) => t.replace('dependsOn: [db-proxy]', 'dependsOn: [checkout]'));
    const out = ripcord('policy', 'validate', '--json', EXAMPLE, bad);
    expect(out.code).toBe(2);
    const [good, invalid] = out.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(good).toMatchObject({ file: EXAMPLE, valid: true, kind: 'Release', name: 'shop-2026-12' });
    expect((good?.policies as { field: string }[]).map((p) => p.field)).toEqual([
      'members[0]',
      'members[1]',
      'outside[0]',
    ]);
    expect(invalid).toEqual({
      file: bad,
      valid: false,
      kind: 'Release',
      problems: [
        'members[1].dependsOn: dependency cycle checkout → payments → checkout: the graph must be acyclic',
      ],
    });
  });
});

describe('ripcord policy explain with a release file', () => {
  it('lists the members dependencies first, the outside services, the mode in words and each policy hash', () => {
    const out = ripcord('policy', 'explain', EXAMPLE);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('Release shop-2026-12 in production: 2 member(s) ship together.');
    expect(out.stdout).toMatch(
      /1\. payments 1\.9\.0 → 2\.0\.0, calls db-proxy \(outside\)\n {5}policy payments\.yaml \(sha256:[0-9a-f]{64}\)\n {2}2\. checkout 1\.9\.0 → 2\.0\.0, calls payments\n {5}policy checkout\.yaml \(sha256:[0-9a-f]{64}\)/,
    );
    expect(out.stdout).toContain(
      "- db-proxy 1.0.0, calls nothing in the release file; read with payments.yaml, the first member's policy, for db-proxy",
    );
    expect(out.stdout).toContain(
      'Rollback mode independent: a member whose own canary regressed is rolled back alone; callers whose errors its regression explains are kept and judged again after 60 s.',
    );
    expect(out.stdout).toContain('Watch: the longest member watch, 1500 s (payments.yaml)');
    expect(out.stdout).not.toMatch(/undefined|NaN|\[object Object\]/);
  });

  it('says what mode together does, and the watch as written', () => {
    const file = variant('together.yaml', (t) =>
      t.replace('mode: independent', 'mode: together').replace('# watchSeconds: 1800', 'watchSeconds: 1800'),
    );
    const out = ripcord('policy', 'explain', file);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(
      'Rollback mode together: any member’s rollback rolls back every member, dependents first.',
    );
    expect(out.stdout).toContain('Watch: 1800 s (watchSeconds)');
  });

  it('lists the problems of an invalid release and exits 2', () => {
    const file = variant('dup.yaml', (t) => t.replace('service: checkout', 'service: payments'));
    const out = ripcord('policy', 'explain', file);
    expect(out.code).toBe(2);
    expect(out.stdout).toContain('members[1].service: "payments" is already listed at members[0].service');
  });
});
