import { stringify } from 'yaml';
import { type LoadedPolicy, parsePolicyText } from '../../src/policy';
import { RELEASE_KEY_ID, SERVICE } from './chaos-stack';

/**
 * The chaos tier's policy: the demo's canary policy (error rate and p99 of
 * 2.0.0 against 1.9.0, read from Prometheus) at demo speed — a 3 s interval
 * over a 1 s scrape — with a plan that drains the canary through nginx,
 * reverts the canary host to the signed 1.9.0 release and tells the deploy
 * system. Kept here rather than read from policies/demo so that the demo can
 * be retuned without moving these tests. `edit` changes the plain document
 * before it is validated like any policy file.
 */

export const HOOK_SECRET_NAME = 'CHAOS_DEPLOY_HOOK_HMAC';
/** Where the worker finds that secret (`${secret:NAME}` → RIPCORD_SECRET_NAME). */
export const HOOK_SECRET_ENV = `RIPCORD_SECRET_${HOOK_SECRET_NAME}`;

export interface PolicyAddresses {
  prometheusUrl: string;
  hookUrl: string;
  notifyUrl: string;
}

// The document is plain YAML data; tests reach into it by path.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PolicyDocument = Record<string, any>;

export function chaosPolicyDocument(addresses: PolicyAddresses): PolicyDocument {
  const hook = `\${secret:${HOOK_SECRET_NAME}}`;
  return {
    apiVersion: 'ripcord/v1',
    kind: 'RollbackPolicy',
    metadata: { service: SERVICE, environment: 'chaos', owners: ['team-payments'], version: 'chaos-1' },
    deployment: {
      pattern: 'canary',
      steps: [
        { weight: 50, holdSeconds: 600 },
        { weight: 100, holdSeconds: 0 },
      ],
    },
    mode: 'auto',
    rollbackWindow: { automaticSeconds: 3600 },
    sources: { prometheus: { type: 'prometheus', url: addresses.prometheusUrl, timeoutSeconds: 5 } },
    series: {
      requests: {
        source: 'prometheus',
        query:
          'sum(increase(http_requests_total{service="{{service}}",version="{{version}}"}[{{interval}}]))',
      },
      errors: {
        source: 'prometheus',
        query:
          'sum(increase(http_requests_total{service="{{service}}",version="{{version}}",code=~"5.."}[{{interval}}]))',
      },
      latency_p99_ms: {
        source: 'prometheus',
        query:
          '1000 * histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}",version="{{version}}"}[{{interval}}])))',
      },
    },
    signals: [
      {
        name: 'error-rate',
        kind: 'ratio',
        numerator: 'errors',
        denominator: 'requests',
        direction: 'higher-is-worse',
        comparison: 'vs-baseline',
        tolerance: { relative: 1.0, absolute: 0.001 },
        critical: true,
      },
      {
        name: 'latency-p99',
        kind: 'latency',
        series: 'latency_p99_ms',
        weight: 'requests',
        direction: 'higher-is-worse',
        comparison: 'vs-baseline',
        tolerance: { relative: 0.25 },
        critical: true,
      },
    ],
    evaluation: {
      intervalSeconds: 3,
      warmupSeconds: 0,
      alpha: 0.01,
      confirmationWindowSeconds: 12,
      minRequestsPerGroup: 25,
      maxInconclusiveSeconds: 60,
      missingData: { maxGapSeconds: 30, onLongGap: 'hold' },
    },
    plan: {
      steps: [
        {
          name: 'drain-canary',
          type: 'shift-traffic',
          weights: [0],
          pauseSeconds: 0,
          timeoutSeconds: 30,
          retries: { maxAttempts: 3, backoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 5 } },
          verify: { targetState: true, settleSeconds: 0, timeoutSeconds: 30 },
        },
        {
          name: 'revert-canary-artifact',
          type: 'revert-artifact',
          signedBy: RELEASE_KEY_ID,
          timeoutSeconds: 60,
          verify: { targetState: true, settleSeconds: 0, timeoutSeconds: 30 },
        },
        {
          name: 'tell-deploy-system',
          type: 'webhook',
          url: addresses.hookUrl,
          hmacSecret: hook,
          timeoutSeconds: 30,
          verify: { targetState: true, settleSeconds: 0, timeoutSeconds: 30 },
        },
      ],
    },
    recovery: {
      deadlineSeconds: 60,
      targets: [
        { signal: 'error-rate', threshold: 0.02 },
        { signal: 'latency-p99', threshold: 400 },
      ],
    },
    trustedKeys: { artifacts: [RELEASE_KEY_ID] },
    notifications: [
      {
        name: 'oncall',
        type: 'webhook',
        url: addresses.notifyUrl,
        hmacSecret: hook,
        on: [
          'rollback-decided',
          'rollback-started',
          'rollback-completed',
          'rollback-failed',
          'escalated',
          'promoted',
        ],
      },
    ],
  };
}

export function chaosPolicy(
  addresses: PolicyAddresses,
  edit: (policy: PolicyDocument) => void = () => undefined,
): LoadedPolicy {
  const document = chaosPolicyDocument(addresses);
  edit(document);
  return parsePolicyText(stringify(document), { filename: 'chaos-policy.yaml' });
}
