import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { DEMO_POLICY_FILES, demoPolicy, demoPolicyText } from '../../../../src/dev/demo/policy';
import { DEMO_STORIES, type DemoStoryName } from '../../../../src/dev/demo/stories';
import { parsePolicyText } from '../../../../src/policy';
import { decisionConfigFromPolicy } from '../../../../src/policy/decision-config';
import { simulateScenario } from '../../../../src/simulate/simulate';
import { demoScenario, histogramQuantile } from './demo-scenarios';

const ADDRESSES = {
  prometheusUrl: 'http://127.0.0.1:41001',
  deployHookUrl: 'http://127.0.0.1:41002/hooks',
  notifyUrl: 'http://127.0.0.1:41002/notify',
};
const HIGH_RISK = { approvalKeyId: 'demo-approvals', timeoutSeconds: 300 };

function storyPolicy(name: DemoStoryName) {
  const story = DEMO_STORIES[name];
  return demoPolicy({
    pattern: story.pattern,
    ...ADDRESSES,
    ...('highRisk' in story && story.highRisk ? { highRisk: HIGH_RISK } : {}),
  });
}

describe('the demo policy files', () => {
  test.each(Object.entries(DEMO_POLICY_FILES))('%s is a valid policy as it is', (_pattern, file) => {
    expect(() => parsePolicyText(readFileSync(file, 'utf8'), { filename: file })).not.toThrow();
  });

  test('the demo puts its own addresses in every Prometheus source, webhook step and webhook notification', () => {
    for (const [pattern, file] of Object.entries(DEMO_POLICY_FILES)) {
      const text = demoPolicyText(readFileSync(file, 'utf8'), { pattern: pattern as 'canary', ...ADDRESSES });
      const raw = parseYaml(text) as {
        sources: Record<string, { type: string; url: string }>;
        plan: { steps: Array<{ type: string; url?: string }> };
        notifications: Array<{ type: string; url: string }>;
      };
      expect(Object.values(raw.sources).map((s) => s.url)).toEqual([ADDRESSES.prometheusUrl]);
      const hooks = raw.plan.steps.filter((s) => s.type === 'webhook');
      expect(hooks.length).toBeGreaterThan(0);
      expect(hooks.map((s) => s.url)).toEqual(hooks.map(() => ADDRESSES.deployHookUrl));
      expect(raw.notifications.map((n) => n.url)).toEqual([ADDRESSES.notifyUrl]);
      // The file's explanations stay with it.
      expect(text).toContain('# ');
    }
  });

  test('high-risk: every rollback waits for one signed approval by an SRE, from the demo key', () => {
    const { policy } = storyPolicy('high-risk');
    expect(policy.risk.highRiskWhen).toEqual([{ when: 'always' }]);
    expect(policy.approval).toMatchObject({
      roles: ['sre'],
      quorum: 1,
      timeoutSeconds: 300,
      onTimeout: 'escalate',
    });
    expect(policy.trustedKeys.approvals).toEqual(['demo-approvals']);
    // The releases' signing key is still trusted.
    expect(policy.trustedKeys.artifacts).toEqual(['demo-release-signing']);
    expect(storyPolicy('bad-canary').policy.approval).toBeUndefined();
  });

  test('blue-green: absolute thresholds (no concurrent baseline), rolled back by swapping back and telling the deploy system', () => {
    const { policy } = storyPolicy('blue-green');
    expect(policy.deployment.pattern).toBe('blue-green');
    expect(policy.signals.map((s) => [s.name, s.comparison, s.threshold])).toEqual([
      ['error-rate', 'absolute', 0.02],
      ['latency-p99', 'absolute', 400],
    ]);
    expect(policy.plan.steps.map((s) => s.type)).toEqual(['swap-blue-green', 'webhook']);
  });
});

/**
 * Each story, rehearsed with `ripcord simulate`'s engine on data drawn from the
 * demo's own behaviours and traffic: what the story promises must be what the
 * decision core does, on every seed.
 */
describe('each story ends as it should in simulation', () => {
  const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const EXPECTED: Record<DemoStoryName, 'rollback' | 'no-rollback'> = {
    'bad-canary': 'rollback',
    healthy: 'no-rollback',
    transient: 'no-rollback',
    'high-risk': 'rollback',
    'blue-green': 'rollback',
  };

  test.each(Object.keys(DEMO_STORIES) as DemoStoryName[])('%s', (name) => {
    const story = DEMO_STORIES[name];
    const { policy } = storyPolicy(name);
    const config = decisionConfigFromPolicy(policy);
    for (const seed of SEEDS) {
      const { result } = simulateScenario(
        config,
        demoScenario(story, policy.evaluation.intervalSeconds, seed),
      );
      expect({ seed, decision: result.decision, reason: result.reason }).toMatchObject({
        seed,
        decision: EXPECTED[name],
      });
    }
  });

  test('a regression is rolled back within a minute and a half of its onset', () => {
    const story = DEMO_STORIES['bad-canary'];
    const { policy } = storyPolicy('bad-canary');
    const config = decisionConfigFromPolicy(policy);
    const interval = policy.evaluation.intervalSeconds;
    for (const seed of SEEDS) {
      const { result } = simulateScenario(config, demoScenario(story, interval, seed));
      // decidedAtIndex counts intervals from the start; the onset is 20 s in.
      expect((result.decidedAtIndex! + 1) * interval).toBeLessThan(20 + 90);
    }
  });
});

describe('histogramQuantile', () => {
  test('interpolates inside the bucket that holds the rank, as Prometheus does', () => {
    // 100 requests: 98 at 40 ms (bucket 25–50), 2 at 450 ms (bucket 400–500); the p99 rank 99 is in 400–500.
    const latencies = [...Array<number>(98).fill(40), 450, 450];
    expect(histogramQuantile(0.99, latencies)).toBeCloseTo(450);
    expect(histogramQuantile(0.5, latencies)).toBeCloseTo(25 + 25 * (50 / 98));
    expect(histogramQuantile(0.99, [])).toBeNull();
    expect(histogramQuantile(0.99, [60_000])).toBe(10_000);
  });
});
