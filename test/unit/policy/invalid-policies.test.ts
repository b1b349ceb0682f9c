import { Policy, validatePolicyData, type PolicyIssue } from '../../../src/policy';
import { exampleData, getAt, setAt } from './helpers';

type Data = Record<string, unknown>;

interface InvalidCase {
  name: string;
  base?: string;
  mutate: (policy: Data) => void;
  path: string;
  message: string;
  /** A fragment of what the issue says was expected, where that matters to the author. */
  expected?: string;
}

const set = (path: string, value: unknown) => (p: Data) => setAt(p, path, value);
const remove = (path: string) => (p: Data) => setAt(p, path, undefined);

const cases: InvalidCase[] = [
  // --- shape: every field on its own ---
  {
    name: 'wrong apiVersion',
    mutate: set('apiVersion', 'ripcord/v2'),
    path: 'apiVersion',
    message: 'is not an allowed value',
    expected: 'ripcord/v1',
  },
  {
    name: 'missing kind',
    mutate: remove('kind'),
    path: 'kind',
    message: 'is required',
    expected: 'RollbackPolicy',
  },
  {
    name: 'service not a DNS label',
    mutate: set('metadata.service', 'Check_Out'),
    path: 'metadata.service',
    message: 'does not have the required form',
    expected: 'DNS label',
  },
  {
    name: 'no owners',
    mutate: set('metadata.owners', []),
    path: 'metadata.owners',
    message: 'is too small',
    expected: 'at least 1 item',
  },
  {
    name: 'unknown deployment pattern',
    mutate: set('deployment.pattern', 'shadow'),
    path: 'deployment.pattern',
    message: 'is not a known pattern',
    expected: 'canary, blue-green, feature-flag, rolling',
  },
  {
    name: 'canary weights going down',
    mutate: set('deployment.steps.1.weight', 3),
    path: 'deployment.steps.1.weight',
    message: 'canary weights must increase',
  },
  {
    name: 'unknown mode',
    mutate: set('mode', 'yolo'),
    path: 'mode',
    message: 'is not an allowed value',
    expected: 'observe, notify, pause, auto',
  },
  {
    name: 'rollback window of zero',
    mutate: set('rollbackWindow.automaticSeconds', 0),
    path: 'rollbackWindow.automaticSeconds',
    message: 'is too small',
    expected: '≥ 1',
  },
  {
    name: 'unknown source type',
    mutate: set('sources.prometheus-main.type', 'datadog'),
    path: 'sources.prometheus-main.type',
    message: 'is not a known type',
    expected: 'prometheus, probe, replay',
  },
  {
    name: 'source type missing',
    mutate: remove('sources.prometheus-main.type'),
    path: 'sources.prometheus-main.type',
    message: 'is required',
    expected: 'prometheus, probe, replay',
  },
  {
    name: 'credentials in a source URL',
    mutate: set('sources.prometheus-main.url', 'https://admin:pw@prom.internal'),
    path: 'sources.prometheus-main.url',
    message: 'contains credentials',
  },
  {
    name: 'plain token in a secret field',
    mutate: set('sources.prometheus-main.auth.secret', 'ghp_abcdefghijklmnop'),
    path: 'sources.prometheus-main.auth.secret',
    message: 'secret values never belong in a policy file',
  },
  {
    name: 'malformed secret reference',
    mutate: set('plan.steps.1.hmacSecret', '${secret:}'),
    path: 'plan.steps.1.hmacSecret',
    message: 'malformed secret reference',
  },
  {
    name: 'series name with capitals',
    mutate: (p) => setAt(p, 'series.Requests', getAt(p, 'series.requests')),
    path: 'series.Requests',
    message: 'is not a valid name',
    expected: 'lowercase name',
  },
  {
    name: 'unknown signal kind',
    mutate: set('signals.0.kind', 'heatmap'),
    path: 'signals.0.kind',
    message: 'is not a known kind',
    expected: 'ratio, latency, gauge, probe, histogram',
  },
  {
    name: 'tolerance of the wrong type',
    mutate: set('signals.0.tolerance.relative', 'half'),
    path: 'signals.0.tolerance.relative',
    message: 'has the wrong type',
    expected: 'a number',
  },
  {
    name: 'alpha of zero',
    mutate: set('evaluation.alpha', 0),
    path: 'evaluation.alpha',
    message: 'is too small',
    expected: '> 0',
  },
  {
    name: 'alpha above 0.2',
    mutate: set('evaluation.alpha', 0.5),
    path: 'evaluation.alpha',
    message: 'is too large',
    expected: '≤ 0.2',
  },
  {
    name: 'fractional interval',
    mutate: set('evaluation.intervalSeconds', 1.5),
    path: 'evaluation.intervalSeconds',
    message: 'must be a whole number',
  },
  {
    name: 'misspelt key',
    mutate: set('signals.0.treshold', 0.1),
    path: 'signals.0.treshold',
    message: 'did you mean "threshold"?',
  },
  {
    name: 'empty plan',
    mutate: set('plan.steps', []),
    path: 'plan.steps',
    message: 'is too small',
    expected: 'at least 1 item',
  },
  {
    name: 'unknown step type',
    mutate: set('plan.steps.0.type', 'reboot'),
    path: 'plan.steps.0.type',
    message: 'is not a known type',
    expected: 'shift-traffic',
  },
  {
    name: 'malformed artifact digest',
    base: 'with-migration.yaml',
    mutate: set('plan.steps.1.previousDigest', 'sha256:abc'),
    path: 'plan.steps.1.previousDigest',
    message: 'does not have the required form',
    expected: '64 lowercase hex digits',
  },
  {
    name: 'plain http webhook to another host',
    mutate: set('plan.steps.1.url', 'http://deploys.example.com/hook'),
    path: 'plan.steps.1.url',
    message: 'must use https',
  },
  {
    name: 'unknown notification event',
    mutate: set('notifications.1.on', ['deployed', 'escalated']),
    path: 'notifications.1.on.0',
    message: 'is not an allowed value',
    expected: 'rollback-decided',
  },
  {
    name: 'unknown approval timeout action',
    base: 'with-migration.yaml',
    mutate: set('approval.onTimeout', 'ignore'),
    path: 'approval.onTimeout',
    message: 'is not an allowed value',
    expected: 'rollback, hold, escalate',
  },
  // --- references between fields ---
  {
    name: 'signal names a missing series',
    mutate: set('signals.0.numerator', 'erors'),
    path: 'signals.0.numerator',
    message: 'names the series "erors", which is not defined under series',
    expected: 'requests, errors, latency',
  },
  {
    name: 'series names a missing source',
    mutate: set('series.errors.source', 'prom'),
    path: 'series.errors.source',
    message: 'names the source "prom"',
    expected: 'prometheus-main',
  },
  {
    name: 'unknown query placeholder',
    mutate: set('series.requests.query', 'sum(x{svc="{{svc}}"})'),
    path: 'series.requests.query',
    message: 'uses the unknown placeholder {{svc}}',
  },
  {
    name: 'step verifies a missing signal',
    mutate: set('plan.steps.0.verify.signals', ['errors-rate']),
    path: 'plan.steps.0.verify.signals.0',
    message: 'names the signal "errors-rate"',
  },
  {
    name: 'recovery target names a missing signal',
    mutate: set('recovery.targets.0.signal', 'availability'),
    path: 'recovery.targets.0.signal',
    message: 'names the signal "availability"',
  },
  {
    name: 'artifact signed by an untrusted key',
    base: 'with-migration.yaml',
    mutate: set('plan.steps.1.signedBy', 'someone-else'),
    path: 'plan.steps.1.signedBy',
    message: 'not defined under trustedKeys.artifacts',
  },
  // --- signals and comparisons ---
  {
    name: 'absolute comparison without threshold',
    mutate: set('signals.0.comparison', 'absolute'),
    path: 'signals.0.threshold',
    message: 'is required when comparison is "absolute"',
    expected: 'between 0 and 1',
  },
  {
    name: 'threshold on a vs-baseline signal',
    mutate: set('signals.0.threshold', 0.02),
    path: 'signals.0.threshold',
    message: 'is used only with comparison "absolute"',
  },
  {
    name: 'ratio threshold above 1',
    mutate: (p) => {
      setAt(p, 'signals.0.comparison', 'absolute');
      setAt(p, 'signals.0.threshold', 2);
    },
    path: 'signals.0.threshold',
    message: 'between 0 and 1',
  },
  {
    name: 'ratio of a series with itself',
    mutate: set('signals.0.denominator', 'errors'),
    path: 'signals.0.denominator',
    message: 'the ratio is always 1',
  },
  {
    name: 'before-after in a canary',
    mutate: set('signals.0.comparison', 'before-after'),
    path: 'signals.0.comparison',
    message: '"before-after" is for blue-green deployments',
  },
  {
    name: 'vs-baseline in blue-green',
    base: 'blue-green.yaml',
    mutate: set('signals.0.comparison', 'vs-baseline'),
    path: 'signals.0.comparison',
    message: 'cannot be "vs-baseline" in a blue-green deployment',
  },
  {
    name: 'no critical signal',
    mutate: (p) => {
      setAt(p, 'signals.0.critical', false);
      setAt(p, 'signals.1.critical', false);
    },
    path: 'signals',
    message: 'has no critical signal',
  },
  {
    name: 'two signals with one name',
    mutate: set('signals.1.name', 'error-rate'),
    path: 'signals.1.name',
    message: 'duplicates the name of signal 0',
  },
  {
    name: 'gap shorter than an interval',
    mutate: set('evaluation.missingData.maxGapSeconds', 10),
    path: 'evaluation.missingData.maxGapSeconds',
    message: 'shorter than one evaluation interval',
  },
  // --- windows and plans ---
  {
    name: 'window closes before confirmation',
    mutate: set('rollbackWindow.automaticSeconds', 60),
    path: 'rollbackWindow.automaticSeconds',
    message: 'ends before the first rollback could be confirmed',
    expected: 'more than 75 seconds',
  },
  {
    name: 'window outlasts the previous colour',
    base: 'blue-green.yaml',
    mutate: set('rollbackWindow.automaticSeconds', 10_000),
    path: 'rollbackWindow.automaticSeconds',
    message: 'outlasts deployment.keepPreviousSeconds',
  },
  {
    name: 'blue-green step in a canary plan',
    mutate: set('plan.steps.0', { name: 'swap', type: 'swap-blue-green' }),
    path: 'plan.steps.0.type',
    message: 'cannot roll back a canary deployment',
  },
  {
    name: 'plan never removes the canary',
    mutate: (p) => (getAt(p, 'plan.steps') as unknown[]).shift(),
    path: 'plan.steps',
    message: 'never takes the new version out of service',
  },
  {
    name: 'both weights and stepPercent',
    mutate: set('plan.steps.0.stepPercent', 50),
    path: 'plan.steps.0',
    message: 'give either weights or stepPercent',
  },
  {
    name: 'traffic shift not ending at 0',
    mutate: set('plan.steps.0.weights', [10, 5]),
    path: 'plan.steps.0.weights.1',
    message: 'the last weight must be 0',
  },
  {
    name: 'shift pauses longer than the timeout',
    mutate: set('plan.steps.0.pauseSeconds', 600),
    path: 'plan.steps.0.timeoutSeconds',
    message: 'pauses alone take 600s',
  },
  {
    name: 'two steps with one name',
    mutate: set('plan.steps.1.name', 'drain-canary'),
    path: 'plan.steps.1.name',
    message: 'duplicates the name of step 0',
  },
  {
    name: 'irreversible migration before other steps',
    base: 'with-migration.yaml',
    mutate: (p) => (getAt(p, 'plan.steps') as unknown[]).reverse(),
    path: 'plan.steps.0',
    message: 'make it the last step',
  },
  {
    name: 'reversible migration without credentials',
    base: 'with-migration.yaml',
    mutate: remove('plan.steps.2.connectionSecret'),
    path: 'plan.steps.2.connectionSecret',
    message: 'is required for a reversible migration',
  },
  // --- risk, approval, notifications ---
  {
    name: 'migration not high-risk',
    base: 'with-migration.yaml',
    mutate: set('risk.highRiskWhen', [{ when: 'environment', environments: ['production'] }]),
    path: 'risk.highRiskWhen',
    message: 'must make a plan with a down-migration high-risk',
  },
  {
    name: 'high-risk rules without approval',
    base: 'with-migration.yaml',
    mutate: remove('approval'),
    path: 'approval',
    message: 'is required because risk.highRiskWhen can make a rollback high-risk',
  },
  {
    name: 'pause mode without approval',
    mutate: set('mode', 'pause'),
    path: 'approval',
    message: 'mode "pause" holds every rollback for a person',
  },
  {
    name: 'approval without trusted keys',
    base: 'with-migration.yaml',
    mutate: set('trustedKeys.approvals', []),
    path: 'trustedKeys.approvals',
    message: 'no signed approval could ever be verified',
  },
  {
    name: 'quorum larger than distinct roles',
    base: 'with-migration.yaml',
    mutate: set('approval.quorum', 3),
    path: 'approval.quorum',
    message: 'can never be met',
    expected: 'at most 2',
  },
  {
    name: 'self-approval in production',
    base: 'with-migration.yaml',
    mutate: set('approval.allowSelfApproval', true),
    path: 'approval.allowSelfApproval',
    message: 'cannot be true in production',
  },
  {
    name: 'repeated approver role',
    base: 'with-migration.yaml',
    mutate: set('approval.roles', ['sre-oncall', 'sre-oncall']),
    path: 'approval.roles.1',
    message: 'duplicates the name of role 0',
  },
  {
    name: 'escalations reach nobody',
    mutate: set('notifications', [
      { name: 'team', type: 'slack', webhookUrlSecret: '${secret:SLACK}', on: ['rollback-completed'] },
    ]),
    path: 'notifications',
    message: 'an escalation would reach nobody',
  },
];

function validate(data: unknown): PolicyIssue[] {
  const result = validatePolicyData(data);
  if (result.ok) throw new Error('expected the policy to be invalid, but it validated');
  return result.issues;
}

describe('invalid policies are rejected with the path and reason', () => {
  it('has a table of at least 30 distinct cases', () => {
    expect(new Set(cases.map((c) => c.name)).size).toBeGreaterThanOrEqual(30);
    expect(cases.length).toBe(new Set(cases.map((c) => c.name)).size);
  });

  it.each(cases)('$name → $path', ({ base, mutate, path, message, expected }) => {
    const data = exampleData(base ?? 'canary.yaml');
    mutate(data);
    const issues = validate(data);
    const atPath = issues.filter((issue) => issue.path === path);
    expect(atPath.map((i) => i.message)).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
    const issue = atPath.find((i) => i.message.includes(message))!;
    expect(issue.expected.length).toBeGreaterThan(0);
    expect(issue.found.length).toBeGreaterThan(0);
    if (expected !== undefined) expect(issue.expected).toContain(expected);
    // The exported schema and the loader must agree on what is valid.
    expect(Policy.safeParse(data).success).toBe(false);
  });
});

describe('problems are reported all at once', () => {
  it('reports schema and cross-field problems from different sections together', () => {
    const data = exampleData('canary.yaml');
    setAt(data, 'evaluation.alpha', 0.9);
    setAt(data, 'signals.0.numerator', 'erors');
    setAt(data, 'signals.0.critical', 'yes');
    setAt(data, 'sources.prometheus-main.type', 'datadog');
    setAt(data, 'plan.steps.0.weights', [10, 20]);
    const paths = validate(data).map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'evaluation.alpha',
        'signals.0.numerator',
        'signals.0.critical',
        'sources.prometheus-main.type',
        'plan.steps.0.weights.1',
      ]),
    );
  });

  it('reports a plain secret even inside an entry that is broken in another way', () => {
    const data = exampleData('canary.yaml');
    setAt(data, 'sources.prometheus-main.type', 'datadog');
    setAt(data, 'sources.prometheus-main.auth.secret', 'hunter2-hunter2');
    const issues = validate(data);
    expect(issues.map((i) => i.path)).toContain('sources.prometheus-main.auth.secret');
  });

  it('never prints the value found in a secret field', () => {
    const data = exampleData('canary.yaml');
    setAt(data, 'sources.prometheus-main.auth.secret', 'hunter2-hunter2');
    setAt(data, 'plan.steps.1.hmacSecret', 's3cr3t-value');
    const text = JSON.stringify(validate(data));
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('s3cr3t');
  });

  it('does not echo credentials found in a URL', () => {
    const data = exampleData('canary.yaml');
    setAt(data, 'sources.prometheus-main.url', 'https://admin:pa55word@prom.internal');
    expect(JSON.stringify(validate(data))).not.toContain('pa55word');
  });

  it('does not call a series missing when only its query is broken', () => {
    const data = exampleData('canary.yaml');
    setAt(data, 'series.errors.query', '');
    const issues = validate(data);
    expect(issues.map((i) => i.path)).toEqual(['series.errors.query']);
  });

  it('rejects a document that is not a mapping', () => {
    for (const document of [[], 'just text', 42, null]) {
      const issues = validate(document);
      expect(issues[0]).toMatchObject({ path: '', expected: 'a mapping (key: value)' });
    }
  });

  it('says when a cross-field rule objects to a default the author did not write', () => {
    const data = exampleData('canary.yaml');
    setAt(data, 'evaluation.intervalSeconds', 400);
    const written = validate(data).find((i) => i.path === 'evaluation.missingData.maxGapSeconds');
    expect(written?.found).toBe('120'); // canary.yaml writes maxGapSeconds: 120 itself
    setAt(data, 'evaluation.missingData', undefined);
    const defaulted = validate(data).find((i) => i.path === 'evaluation.missingData.maxGapSeconds');
    expect(defaulted?.found).toBe('300 (the default)');
  });
});
