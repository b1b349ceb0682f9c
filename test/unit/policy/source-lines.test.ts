import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parsePolicyText, PolicyValidationError, type PolicyIssue } from '../../../src/policy';
import { exampleText, FIXTURES_DIR } from './helpers';

function issuesOf(text: string, filename = 'policy.yaml'): PolicyIssue[] {
  try {
    parsePolicyText(text, { filename });
  } catch (error) {
    if (error instanceof PolicyValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected the policy to be invalid');
}

describe('issues point at the line of the file', () => {
  it('locates every problem of a file with several', () => {
    const text = readFileSync(resolve(FIXTURES_DIR, 'several-problems.yaml'), 'utf8');
    const lines = Object.fromEntries(issuesOf(text).map((i) => [i.path, i.line]));
    // The fixture marks each broken line with "<- line N".
    expect(lines).toEqual({
      mode: 13,
      'sources.prometheus-main.auth.secret': 19,
      'signals.0.numerator': 26,
      'signals.0.treshold': 29,
      'evaluation.alpha': 31,
    });
    text.split('\n').forEach((line, i) => {
      const marked = /<- line (\d+)/.exec(line);
      if (marked) expect(Number(marked[1])).toBe(i + 1);
    });
  });

  it('points a missing key at its parent', () => {
    const text = exampleText('canary.yaml').replace('    numerator: errors\n', '');
    const issue = issuesOf(text).find((i) => i.path === 'signals.0.numerator');
    const signalLine = text.split('\n').findIndex((l) => l.includes('- name: error-rate')) + 1;
    expect(issue).toMatchObject({ message: 'is required', line: signalLine });
  });

  it('locates issues in JSON files too', () => {
    const json = JSON.stringify({ apiVersion: 'ripcord/v1', kind: 'Rollback' }, null, 2);
    const issue = issuesOf(json, 'p.json').find((i) => i.path === 'kind');
    expect(issue?.line).toBe(3);
  });

  it.each([
    ['a duplicate key', 'apiVersion: ripcord/v1\nkind: RollbackPolicy\nkind: Other\n', 3],
    // where the list opens, not where the parser gave up (issue 17)
    ['an unclosed flow list', 'apiVersion: ripcord/v1\nmetadata: { owners: [a, b\n', 2],
    ['two documents', 'apiVersion: ripcord/v1\n---\nkind: RollbackPolicy\n', 2],
  ])('reports %s as a syntax problem with its line', (_name, text, line) => {
    const issues = issuesOf(text);
    expect(issues[0]).toMatchObject({ path: '', expected: 'valid YAML or JSON' });
    expect(issues.map((i) => i.line)).toContain(line);
  });

  it.each([
    ['a missing value', '{\n  "apiVersion": "ripcord/v1",\n  "kind": \n}\n', 4],
    ['a trailing comma', '{\n  "apiVersion": "ripcord/v1",\n}\n', 3],
    ['a single-quoted string', "{\n  'apiVersion': 1\n}", 2],
    ['text after the value', '{}\n\n{}', 3],
  ])('reports %s in a .json file as invalid JSON with its line', (_name, text, line) => {
    const issues = issuesOf(text, 'policy.json');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: '', expected: 'valid JSON', line });
    expect(issues.map((i) => i.line)).toContain(line);
  });

  it('reports an empty file', () => {
    expect(issuesOf('  \n')).toEqual([
      expect.objectContaining({ path: '', message: 'the policy file is empty' }),
    ]);
  });

  it('refuses alias bombs instead of expanding them', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 6; i++)
      bomb.push(
        `${'bcdefg'[i]}: &${'bcdefg'[i]} [${Array(10)
          .fill(`*${i === 0 ? 'a' : 'bcdefg'[i - 1]}`)
          .join(', ')}]`,
      );
    const issues = issuesOf(`${bomb.join('\n')}\n`);
    expect(issues[0]?.path).toBe('');
  });
});
