import { clock } from '../simulate/timeline';
import { formatTable } from '../text/table';
import type { MemberJudgement, ReleaseJudgement } from './judge';
import type { ReleaseScenario } from './scenario';

/**
 * The human view of one release judgement (`ripcord simulate
 * --release-scenario` without --json): the decision and why, each member as
 * the release judged it next to what its own guardian would have done, and
 * the stable versions tested for a platform problem. `truth` is shown, never
 * used.
 */
function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

function releaseVerdict(member: MemberJudgement): string {
  switch (member.verdict) {
    case 'rolled-back':
      return `ROLLED BACK at ${member.rolledBackAtIndex ?? '?'}`;
    case 'rolled-back-with-release':
      return `rolled back with the release at ${member.rolledBackAtIndex ?? '?'}`;
    case 'explained':
      return `kept: inherits ${(member.explainedBy ?? []).join(', ')}`;
    case 'unresolved':
      return member.explainedBy === undefined
        ? `unresolved: not shown to persist (e-value ${member.persistence?.eValue ?? '?'})`
        : `unresolved: ${member.explainedBy.join(', ')} may cause it`;
    case 'escalated':
      return 'escalated';
    case 'healthy':
      return 'healthy';
    case 'not-decided':
      return 'not decided';
  }
}

function ownVerdict(member: MemberJudgement): string {
  const own = member.own;
  if (own.decision === null) return '–';
  const at = own.decidedAtIndex === null ? 'at the end' : `at ${own.decidedAtIndex}`;
  const why =
    own.signal === undefined
      ? ''
      : ` (${own.signal}${own.onsetIndex === undefined ? '' : `, breach at ${own.onsetIndex}`})`;
  return `${own.decision} ${at}${why}`;
}

function excess(member: MemberJudgement): string {
  const e = member.excess;
  if (e === undefined) return '';
  const estimate = e.estimate === null ? '?' : percent(e.estimate);
  return `${estimate} [${percent(Math.max(0, e.lower))}, ${percent(e.upper)}]`;
}

export function formatReleaseJudgement(judgement: ReleaseJudgement, scenario: ReleaseScenario): string {
  const dt = judgement.intervalSeconds;
  const lines: string[] = [];
  lines.push(scenario.description ? `${scenario.name} — ${scenario.description}` : scenario.name);
  const members = Object.keys(judgement.members);
  const outside = Object.keys(scenario.members).filter((s) => !members.includes(s));
  lines.push(
    `  release of ${members.join(', ')}${outside.length > 0 ? `; outside it: ${outside.join(', ')}` : ''} (mode ${judgement.mode})`,
  );
  lines.push(`  ${judgement.intervals} intervals of ${dt}s (${clock(judgement.intervals, dt)})`);
  const when =
    judgement.decidedAtIndex === null
      ? 'at the end of the watch'
      : `at interval ${judgement.decidedAtIndex} (${clock(judgement.decidedAtIndex + 1, dt)})`;
  const rollback = judgement.rollback.length > 0 ? ` ${judgement.rollback.join(' then ')}` : '';
  lines.push(`  decision: ${judgement.decision.toUpperCase()}${rollback} ${when}`);
  lines.push(`  ${judgement.reason}`);
  const truth = scenario.truth;
  if (truth !== undefined) {
    const culprits =
      (truth.culprits ?? []).length > 0 ? `, culprit ${(truth.culprits ?? []).join(', ')}` : '';
    const onset =
      truth.onsetIndex === null || truth.onsetIndex === undefined
        ? ''
        : `, onset at interval ${truth.onsetIndex}`;
    lines.push(`  truth: ${truth.kind}${culprits}${onset}`);
  }
  lines.push('  members:');
  const rows = members.map((service) => {
    const member = judgement.members[service] as MemberJudgement;
    const calls = scenario.members[service]?.dependsOn ?? [];
    return [
      service,
      calls.length > 0 ? calls.join(', ') : '–',
      releaseVerdict(member),
      ownVerdict(member),
      excess(member),
    ];
  });
  lines.push(
    ...formatTable(['member', 'calls', 'release', 'its own guardian', 'extra failures [bounds]'], rows).map(
      (l) => `    ${l}`,
    ),
  );
  lines.push('  stable versions against their own past:');
  const tested = judgement.systemic.tested.map((t) => [
    t.inRelease ? `${t.service} (baseline)` : `${t.service} (outside)`,
    t.signal,
    t.degradedAtIndex === null
      ? `no degradation (e-value ${t.eValue})`
      : `DEGRADED at ${t.degradedAtIndex}: ${t.pastRate === null ? '?' : percent(t.pastRate)} → ${t.rate === null ? '?' : percent(t.rate)}`,
  ]);
  const notTested = judgement.systemic.notTested.map((n) => [
    `${n.service} (outside)`,
    '–',
    `not tested: ${n.why}`,
  ]);
  lines.push(
    ...formatTable(['service', 'signal', 'verdict'], [...tested, ...notTested]).map((l) => `    ${l}`),
  );
  return `${lines.join('\n')}\n`;
}
