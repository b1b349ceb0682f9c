import path from 'node:path';
import type { Policy } from '../policy';
import { dependencyOrder } from './graph';
import type { LoadedRelease } from './release-file';

/**
 * `ripcord policy explain release.yaml`: what a release file makes ripcord do,
 * in plain words: the members in dependency order (a callee before its
 * callers) with the policy that judges each, the services outside the
 * release, the rollback mode, the watch, and how the release judges across
 * members (docs/policy.md, Releases).
 */
export interface ExplainReleaseOptions {
  /** How long a guardian of this policy watches by default (the CLI passes the guardian's rule). */
  watchSecondsOf?: (policy: Policy) => number;
}

function list(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

export function modeInWords(release: Pick<LoadedRelease, 'mode' | 'settleSeconds'>): string {
  return release.mode === 'independent'
    ? `independent: a member whose own canary regressed is rolled back alone; callers whose errors its regression explains are kept and judged again after ${release.settleSeconds} s`
    : 'together: any member’s rollback rolls back every member, dependents first';
}

export function explainRelease(release: LoadedRelease, options: ExplainReleaseOptions = {}): string {
  const dir = path.dirname(release.file);
  const shown = (file: string) => path.relative(dir, file) || file;
  const members = new Set(release.members.map((m) => m.service));
  const calls = (dependsOn: readonly string[]) =>
    dependsOn.length === 0
      ? 'calls nothing in the release file'
      : `calls ${list(dependsOn.map((d) => (members.has(d) ? d : `${d} (outside)`)))}`;
  const graph = Object.fromEntries(
    [...release.members, ...release.outside].map((s) => [s.service, s.dependsOn]),
  );
  const lines: string[] = [];
  lines.push(
    `Release ${release.name} in ${release.environment}: ${release.members.length} member(s) ship together.`,
  );
  if (release.description !== undefined) lines.push(release.description);
  lines.push('');
  lines.push('Members, dependencies first (each judged under its own policy):');
  const order = dependencyOrder(graph, members);
  order.forEach((service, i) => {
    const member = release.members.find((m) => m.service === service);
    if (member === undefined) return;
    lines.push(
      `  ${i + 1}. ${member.service} ${member.previousVersion} → ${member.version}, ${calls(member.dependsOn)}`,
    );
    lines.push(`     policy ${shown(member.policy.filename)} (${member.policy.hash})`);
  });
  lines.push('');
  if (release.outside.length === 0) {
    lines.push(
      'Outside the release: none listed. Only the members’ baselines can then tell a platform incident.',
    );
  } else {
    lines.push(
      'Outside the release (one version each; failing more with the baselines, they tell a platform incident from the release’s fault):',
    );
    for (const o of release.outside) {
      const policy = o.policyDefaulted
        ? `read with ${shown(o.policy.filename)}, the first member's policy, for ${o.service}`
        : `read with ${shown(o.policy.filename)} (${o.policy.hash})`;
      lines.push(`  - ${o.service} ${o.version}, ${calls(o.dependsOn)}; ${policy}`);
    }
  }
  lines.push('');
  lines.push(`Rollback mode ${modeInWords(release)}.`);
  if (release.watchSeconds !== undefined) {
    lines.push(`Watch: ${release.watchSeconds} s (watchSeconds), then the members still kept are promoted.`);
  } else if (options.watchSecondsOf !== undefined) {
    const watches = release.members.map((m) => ({
      member: m,
      seconds: (options.watchSecondsOf as (p: Policy) => number)(m.policy.policy),
    }));
    const longest = watches.reduce((a, b) => (b.seconds > a.seconds ? b : a));
    lines.push(
      `Watch: the longest member watch, ${longest.seconds} s (${shown(longest.member.policy.filename)}), then the members still kept are promoted.`,
    );
  } else {
    lines.push('Watch: the longest member watch, then the members still kept are promoted.');
  }
  lines.push('');
  lines.push('How the release judges, every interval:');
  lines.push(
    "  - systemic: a stable version (a member's baseline, or an outside service that calls no member) fails more than in its own past: the release cannot cause that, so nothing is rolled back and a person decides.",
  );
  lines.push(
    '  - cascade: a member whose extra failures a regressed dependency explains (the dependency fails more by at least as much) is kept; the dependency is the culprit.',
  );
  lines.push(
    '  - isolated: a member whose regression no dependency explains is rolled back, as its own guardian would.',
  );
  return `${lines.join('\n')}\n`;
}
