import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { EXAMPLE_FILES, examplePath, FIXTURES_DIR, REPO_ROOT } from './helpers';

const BIN = resolve(REPO_ROOT, 'bin', 'ripcord.js');

function ripcord(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd: REPO_ROOT,
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const fixture = (name: string) => resolve(FIXTURES_DIR, name);

describe('ripcord policy validate', () => {
  it('exits 0 and prints ok with the hash for every valid file', () => {
    const result = ripcord('policy', 'validate', ...EXAMPLE_FILES.map(examplePath));
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(EXAMPLE_FILES.length);
    for (const line of lines) expect(line).toMatch(/^ok .+\.yaml \(sha256:[0-9a-f]{64}\)$/);
  });

  it('exits 2 and prints every problem with its path, line, expectation and finding', () => {
    const result = ripcord(
      'policy',
      'validate',
      examplePath('canary.yaml'),
      fixture('several-problems.yaml'),
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^ok .*canary\.yaml/m);
    expect(result.stdout).toContain('several-problems.yaml: 5 problem(s)');
    expect(result.stdout).toContain(
      'mode (line 13): is not an allowed value; expected one of: observe, notify, pause, auto, found "sometimes"',
    );
    expect(result.stdout).toContain('signals.0.numerator (line 26): names the series "erors"');
    expect(result.stdout).toContain(
      'signals.0.treshold (line 29): is not a known key (did you mean "threshold"?)',
    );
    expect(result.stdout).toContain(
      'evaluation.alpha (line 31): is too large; expected a number ≤ 0.2, found 0.5',
    );
    expect(result.stdout).not.toContain('hunter2');
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack trace
  });

  it('reports a YAML syntax error with its line', () => {
    const result = ripcord('policy', 'validate', fixture('bad-syntax.yaml'));
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('(document) (line 5): Map keys must be unique');
  });

  it('exits 2 for a file it cannot read, after checking the others', () => {
    const result = ripcord('policy', 'validate', fixture('does-not-exist.yaml'), examplePath('canary.yaml'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('ripcord: cannot read');
    expect(result.stdout).toMatch(/^ok .*canary\.yaml/m);
  });

  it('exits 2 on a usage error', () => {
    expect(ripcord('policy', 'validate').code).toBe(2);
    expect(ripcord('policy').code).toBe(2);
    expect(ripcord('policy', 'validate', '--help').code).toBe(0);
    expect(ripcord('policy', 'validate', '--no-such-option', 'x.yaml').code).toBe(2);
  });

  it('prints one JSON report per file with --json', () => {
    const result = ripcord(
      'policy',
      'validate',
      '--json',
      fixture('canary-reordered.json'),
      fixture('several-problems.yaml'),
    );
    expect(result.code).toBe(2);
    const [valid, invalid] = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(valid).toMatchObject({ valid: true, hash: expect.stringMatching(/^sha256:/) });
    expect(invalid.valid).toBe(false);
    expect(invalid.issues).toContainEqual(expect.objectContaining({ path: 'mode', line: 13 }));
  });
});

describe('ripcord policy explain', () => {
  it('explains a policy in plain English', () => {
    const result = ripcord('policy', 'explain', examplePath('with-migration.yaml'));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^.*with-migration\.yaml \(sha256:[0-9a-f]{64}\)/);
    expect(result.stdout).toContain('Worst-case time to roll back');
    expect(result.stdout).toContain('If nobody approves within 30m');
  });

  it('prints the problems and exits 2 for an invalid policy', () => {
    const result = ripcord('policy', 'explain', fixture('several-problems.yaml'));
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('5 problem(s)');
  });
});

describe('ripcord policy schema', () => {
  it('prints a JSON Schema that knows every section and the allowed types', () => {
    const result = ripcord('policy', 'schema');
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout);
    expect(schema.$schema).toContain('json-schema.org');
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        'apiVersion',
        'metadata',
        'deployment',
        'sources',
        'series',
        'signals',
        'evaluation',
        'plan',
        'risk',
        'approval',
        'recovery',
        'notifications',
        'trustedKeys',
      ]),
    );
    const text = JSON.stringify(schema);
    for (const word of ['prometheus', 'probe', 'replay', 'shift-traffic', 'down-migration', 'before-after']) {
      expect(text).toContain(`"${word}"`);
    }
    expect(schema.required).toEqual(
      expect.arrayContaining(['apiVersion', 'kind', 'metadata', 'signals', 'plan']),
    );
  });
});
