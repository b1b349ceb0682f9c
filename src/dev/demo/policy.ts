import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { type LoadedPolicy, parsePolicyText } from '../../policy';
import type { DemoPattern } from './stories';

/**
 * The demo's policy files, readable by people and valid as they are: their
 * 127.0.0.1 addresses stand for the ones the demo starts on free ports, and
 * the demo puts its own in before it validates the result as any policy is.
 */
const POLICIES_DIR = resolve(__dirname, '..', '..', '..', 'policies', 'demo');
export const DEMO_POLICY_FILES: Record<DemoPattern, string> = {
  canary: resolve(POLICIES_DIR, 'checkout-canary.yaml'),
  'blue-green': resolve(POLICIES_DIR, 'checkout-blue-green.yaml'),
};

/** The demo's own addresses, which replace the files' stand-ins. */
export interface DemoPolicyAddresses {
  /** Every Prometheus source. */
  prometheusUrl: string;
  /** Every webhook step of the plan (the stand-in deploy system). */
  deployHookUrl: string;
  /** Every webhook notification. */
  notifyUrl: string;
}

export interface DemoHighRisk {
  /** The key id whose signatures the worker accepts on approvals. */
  approvalKeyId: string;
  /** How long the rollback waits for the approval before it escalates. */
  timeoutSeconds: number;
}

export interface DemoPolicyOptions extends DemoPolicyAddresses {
  pattern: DemoPattern;
  /** Make every rollback high-risk: it waits for one signed approval by an SRE. */
  highRisk?: DemoHighRisk;
}

/** The demo policy with this run's addresses filled in, validated as any policy is. */
export function demoPolicy(options: DemoPolicyOptions): LoadedPolicy {
  const file = DEMO_POLICY_FILES[options.pattern];
  const text = demoPolicyText(readFileSync(file, 'utf8'), options);
  return parsePolicyText(text, { filename: options.highRisk ? `${file} (made high-risk)` : file });
}

/**
 * The policy text with the addresses replaced (and the approval gate added
 * for the high-risk story). Edits the YAML document rather than the text, so
 * the comments stay and nothing but the named fields can change.
 */
export function demoPolicyText(text: string, options: DemoPolicyOptions): string {
  const doc = parseDocument(text);
  eachEntry(doc, ['sources'], (source, key) => {
    if (source.get('type') === 'prometheus') doc.setIn(['sources', key, 'url'], options.prometheusUrl);
  });
  eachItem(doc, ['plan', 'steps'], (step, i) => {
    if (step.get('type') === 'webhook') doc.setIn(['plan', 'steps', i, 'url'], options.deployHookUrl);
  });
  eachItem(doc, ['notifications'], (notification, i) => {
    if (notification.get('type') === 'webhook') doc.setIn(['notifications', i, 'url'], options.notifyUrl);
  });
  if (options.highRisk) {
    const { approvalKeyId, timeoutSeconds } = options.highRisk;
    doc.setIn(['risk'], doc.createNode({ highRiskWhen: [{ when: 'always' }] }));
    doc.setIn(
      ['approval'],
      doc.createNode({ roles: ['sre'], quorum: 1, timeoutSeconds, onTimeout: 'escalate' }),
    );
    doc.setIn(['trustedKeys', 'approvals'], doc.createNode([approvalKeyId]));
  }
  return doc.toString();
}

interface YamlNode {
  get(key: unknown): unknown;
}

function eachEntry(doc: Document, path: string[], visit: (node: YamlNode, key: string) => void): void {
  const map = doc.getIn(path, true);
  if (!isMap(map)) return;
  for (const pair of map.items) {
    const key = String((pair.key as { value?: unknown } | null)?.value ?? pair.key);
    if (isMap(pair.value)) visit(pair.value, key);
  }
}

function eachItem(doc: Document, path: string[], visit: (node: YamlNode, index: number) => void): void {
  const seq = doc.getIn(path, true);
  if (!isSeq(seq)) return;
  seq.items.forEach((item, i) => {
    if (isMap(item)) visit(item, i);
  });
}
