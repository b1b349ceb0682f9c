import { isMap, isSeq, parseDocument, stringify } from 'yaml';
import { PolicyValidationError, formatIssue } from '../policy/issues';
import { parsePolicyText, type LoadedPolicy } from '../policy/loader';
import { DEFAULT_SERIES } from './queries';
import type { Proposal } from './propose';

/**
 * The proposal written as a policy. With a base policy, only the numbers the
 * proposal is about change and everything else (comments included) stays as
 * the author wrote it; without one, a complete canary policy for the service.
 * Either way the text is validated with the loader before anyone sees it.
 */

export interface DefaultPolicyContext {
  service: string;
  environment: string;
  prometheusUrl: string;
  /** The environment variable holding a bearer token, written as a secret reference. */
  bearerTokenEnv?: string;
  intervalSeconds: number;
}

export class SuggestedPolicyInvalidError extends Error {
  override readonly name = 'SuggestedPolicyInvalidError';
}

const HEADER = (source: string) =>
  ` Thresholds (signal tolerances, evaluation.alpha, evaluation.minRequestsPerGroup) suggested by\n` +
  ` \`ripcord policy suggest\` from ${source}; the explanation printed with it says why.`;

/**
 * A starting policy for a service ripcord has no policy for yet: the canary of
 * policies/examples/canary-p99-only.yaml (a p99 signal, whose tolerance history can set).
 */
export function defaultPolicyData(
  context: DefaultPolicyContext,
  proposal: Proposal,
): Record<string, unknown> {
  const tolerance = (name: string) => proposal.signals.find((s) => s.signal === name)?.tolerance;
  return {
    apiVersion: 'ripcord/v1',
    kind: 'RollbackPolicy',
    metadata: {
      service: context.service,
      environment: context.environment,
      owners: [`team-${context.service}`],
      version: '1',
      description: `Canary of ${context.service}; roll back on a confirmed error-rate or p99 regression.`,
    },
    deployment: {
      pattern: 'canary',
      steps: [
        { weight: 10, holdSeconds: 600 },
        { weight: 50, holdSeconds: 600 },
        { weight: 100, holdSeconds: 0 },
      ],
    },
    mode: 'observe',
    sources: {
      prometheus: {
        type: 'prometheus',
        url: context.prometheusUrl,
        timeoutSeconds: 10,
        ...(context.bearerTokenEnv
          ? { auth: { scheme: 'bearer', secret: `\${secret:${context.bearerTokenEnv}}` } }
          : {}),
      },
    },
    series: Object.fromEntries(
      Object.entries(DEFAULT_SERIES).map(([name, query]) => [name, { source: 'prometheus', query }]),
    ),
    signals: [
      {
        name: 'error-rate',
        kind: 'ratio',
        numerator: 'errors',
        denominator: 'requests',
        direction: 'higher-is-worse',
        comparison: 'vs-baseline',
        tolerance: tolerance('error-rate'),
        critical: true,
      },
      {
        name: 'latency-p99',
        kind: 'latency',
        series: 'latency_p99_ms',
        weight: 'requests',
        direction: 'higher-is-worse',
        comparison: 'vs-baseline',
        tolerance: tolerance('latency-p99'),
        critical: true,
      },
    ],
    evaluation: {
      intervalSeconds: context.intervalSeconds,
      alpha: proposal.alpha.value,
      minRequestsPerGroup: proposal.minRequestsPerGroup.value,
    },
    plan: {
      steps: [{ name: 'drain-canary', type: 'shift-traffic', weights: [0] }],
    },
    // An escalation must reach someone; the webhook URL stays in the secret store.
    notifications: [{ name: 'oncall', type: 'slack', webhookUrlSecret: '${secret:SLACK_WEBHOOK}' }],
  };
}

/** The signals a default policy has, for learning before the policy exists. */
export function defaultPolicyText(context: DefaultPolicyContext, proposal: Proposal, source: string): string {
  const text = stringify(defaultPolicyData(context, proposal), { lineWidth: 0 });
  return `#${HEADER(source).replace(/\n/g, '\n#')}\n# Starts in mode: observe (decide and record only); see docs/policy.md.\n${text}`;
}

/** The base policy's text with the proposed numbers written in. */
export function applyProposal(
  baseText: string,
  proposal: Proposal,
  source: string,
  intervalSeconds?: number,
): string {
  const doc = parseDocument(baseText);
  const signals = doc.get('signals');
  if (!isSeq(signals)) throw new SuggestedPolicyInvalidError('the base policy has no list of signals');
  signals.items.forEach((item) => {
    if (!isMap(item)) return;
    const proposed = proposal.signals.find((s) => s.signal === item.get('name'));
    // A tolerance history does not set stays exactly as written, comments included.
    if (proposed && proposed.kept !== true) {
      item.set('tolerance', doc.createNode(proposed.tolerance, { flow: true }));
    }
  });
  doc.setIn(['evaluation', 'alpha'], proposal.alpha.value);
  doc.setIn(['evaluation', 'minRequestsPerGroup'], proposal.minRequestsPerGroup.value);
  // The interval the history was read at, when asked for one: the tolerances were learned at it.
  if (intervalSeconds !== undefined) doc.setIn(['evaluation', 'intervalSeconds'], intervalSeconds);
  const previous = doc.commentBefore ? `\n${doc.commentBefore}` : '';
  doc.commentBefore = `${HEADER(source)}${previous}`;
  return doc.toString({ lineWidth: 0 });
}

/** Validates the text as `ripcord policy validate` does; an invalid suggestion is a bug, said plainly. */
export function validateSuggested(text: string, filename: string): LoadedPolicy {
  try {
    return parsePolicyText(text, { filename });
  } catch (error) {
    if (error instanceof PolicyValidationError) {
      throw new SuggestedPolicyInvalidError(
        `the suggested policy does not validate:\n${error.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`,
      );
    }
    throw error;
  }
}
