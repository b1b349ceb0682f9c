import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { type LoadedPolicy, parsePolicyText } from '../../policy';

/** The demo's policy file: readable by people, with placeholders for the addresses the demo starts. */
export const DEMO_POLICY_FILE = resolve(
  __dirname,
  '..',
  '..',
  '..',
  'policies',
  'demo',
  'checkout-canary.yaml',
);

export interface DemoPolicyAddresses {
  prometheusUrl: string;
  deployHookUrl: string;
  notifyUrl: string;
}

export interface DemoPolicyOptions extends DemoPolicyAddresses {
  /** Make every rollback high-risk: it waits for one signed approval by an SRE. */
  highRisk?: { approvalKeyId: string };
}

/** The demo policy with this run's addresses filled in, validated as any policy is. */
export function demoPolicy(options: DemoPolicyOptions): LoadedPolicy {
  const text = readFileSync(DEMO_POLICY_FILE, 'utf8')
    .replaceAll('__PROMETHEUS_URL__', options.prometheusUrl)
    .replaceAll('__DEPLOY_HOOK_URL__', options.deployHookUrl)
    .replaceAll('__NOTIFY_URL__', options.notifyUrl);
  if (!options.highRisk) return parsePolicyText(text, { filename: DEMO_POLICY_FILE });
  const raw = parseYaml(text) as Record<string, unknown>;
  raw.risk = { highRiskWhen: [{ when: 'always' }] };
  raw.approval = { roles: ['sre'], quorum: 1, timeoutSeconds: 600, onTimeout: 'escalate' };
  raw.trustedKeys = { ...(raw.trustedKeys as object), approvals: [options.highRisk.approvalKeyId] };
  return parsePolicyText(stringifyYaml(raw), { filename: `${DEMO_POLICY_FILE} (high-risk)` });
}
