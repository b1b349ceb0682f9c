import { parsePolicyText, PolicyValidationError, type PolicyIssue } from '../../../src/policy';
import { exampleText } from './helpers';

/**
 * Issue 17: a YAML syntax error points at its own line, the one the author
 * must fix, not the line where the parser gave up (the next one, or the end).
 */

function syntaxIssues(text: string): PolicyIssue[] {
  try {
    parsePolicyText(text, { filename: 'policy.yaml' });
  } catch (error) {
    if (error instanceof PolicyValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected the policy to be invalid');
}

/** The example canary policy with one line edited; returns the text and that line's number. */
function breakLine(find: string, edit: (line: string) => string): { text: string; line: number } {
  const lines = exampleText('canary.yaml').split('\n');
  const index = lines.findIndex((l) => l.includes(find));
  expect(index).toBeGreaterThanOrEqual(0);
  lines[index] = edit(lines[index]!);
  return { text: lines.join('\n'), line: index + 1 };
}

describe('a YAML syntax error points at its own line', () => {
  it.each([
    ['an unclosed flow map', '{ weight: 25,', (l: string) => l.replace(/ }$/, '')],
    ['an unclosed flow list', 'owners:', (l: string) => l.replace(/]$/, '')],
    ['an unclosed double quote', 'description:', (l: string) => l.replace('description: ', 'description: "')],
    ['an unclosed single quote', "version: '3'", (l: string) => l.replace("'3'", "'3")],
    ['a tab as indentation', '{ weight: 50,', (l: string) => `\t${l}`],
    ['a duplicate key', 'version:', (l: string) => `${l}\n  version: '4'`],
  ])('%s', (_name, find, edit) => {
    const { text, line } = breakLine(find, edit);
    const issues = syntaxIssues(text);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]).toMatchObject({ path: '', expected: 'valid YAML or JSON' });
    const lines = issues.map((i) => i.line);
    // The duplicate is reported on the second key: the line that was added.
    expect(lines[0]).toBe(find === 'version:' ? line + 1 : line);
    // ...and nothing that follows from it points at an earlier line.
    expect(Math.min(...lines.map((l) => l ?? Infinity))).toBe(lines[0]);
  });

  it('an unclosed flow list in a short file points at the line it opens on', () => {
    const issues = syntaxIssues('apiVersion: ripcord/v1\nmetadata: { owners: [a, b\nkind: RollbackPolicy\n');
    expect(issues[0]?.line).toBe(2);
  });

  it('a closed list followed by an unclosed one points at the unclosed one', () => {
    const issues = syntaxIssues('a: [1, 2]\nb: [3, 4\nc: 5\n');
    expect(issues.map((i) => i.line)).toEqual([2]);
  });

  it('an escaped quote does not close a double-quoted string', () => {
    const issues = syntaxIssues('a: 1\nb: "x\\"\nc: 2\nd: 3\n');
    expect(issues[0]?.line).toBe(2);
  });
});
