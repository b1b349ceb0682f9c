import { Policy, validatePolicyData } from '../../../src/policy';
import { exampleData, setAt } from './helpers';

/**
 * maxInconclusiveSeconds longer than the watch never fires (issue 17): the
 * example canary had 1800 s against a 1500 s watch. Refused by
 * `ripcord policy validate` and by admission alike (Policy.parse).
 */
function problemsOf(name: string, change: (data: Record<string, unknown>) => void) {
  const data = exampleData(name);
  change(data);
  const result = validatePolicyData(data);
  return result.ok ? [] : result.issues;
}

describe('the inconclusive limit fits in the watch', () => {
  it('the example canary validates as shipped', () => {
    expect(problemsOf('canary.yaml', () => undefined)).toEqual([]);
  });

  it('a canary limit longer than its holds is refused, naming both fields', () => {
    const issues = problemsOf('canary.yaml', (d) => setAt(d, 'evaluation.maxInconclusiveSeconds', 1800));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'evaluation.maxInconclusiveSeconds', found: '1800' });
    expect(issues[0]!.message).toContain('deployment.steps[*].holdSeconds add up to 1500 s');
    expect(issues[0]!.expected).toBe('at most 1500 s, or a longer watch');
  });

  it('a limit equal to the watch is accepted', () => {
    expect(problemsOf('canary.yaml', (d) => setAt(d, 'evaluation.maxInconclusiveSeconds', 1500))).toEqual([]);
  });

  it('the warm-up is not judged, so it shortens the watch the limit must fit in', () => {
    const issues = problemsOf('canary.yaml', (d) => setAt(d, 'evaluation.warmupSeconds', 600));
    expect(issues[0]).toMatchObject({ path: 'evaluation.maxInconclusiveSeconds' });
    expect(issues[0]!.message).toContain('after evaluation.warmupSeconds (600 s)');
    expect(issues[0]!.expected).toBe('at most 900 s, or a longer watch');
  });

  it('other patterns watch for the automatic rollback window, and the message says so', () => {
    const issues = problemsOf('blue-green.yaml', (d) => setAt(d, 'rollbackWindow.automaticSeconds', 600));
    expect(issues.map((i) => i.path)).toContain('evaluation.maxInconclusiveSeconds');
    const issue = issues.find((i) => i.path === 'evaluation.maxInconclusiveSeconds')!;
    expect(issue.message).toContain('rollbackWindow.automaticSeconds is 600 s');
  });

  it('admission refuses it too (Policy.parse)', () => {
    const data = exampleData('canary.yaml');
    setAt(data, 'evaluation.maxInconclusiveSeconds', 1800);
    const parsed = Policy.safeParse(data);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toContain('evaluation.maxInconclusiveSeconds');
  });
});
