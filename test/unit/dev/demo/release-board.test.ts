import {
  errorsBetween,
  type ReleaseRead,
  releaseEvents,
  releaseStatusLine,
  ReleaseTimeline,
} from '../../../../src/dev/demo/release-board';
import type { LoadCounts } from '../../../../src/dev/fleet';
import type { ReleaseMemberState, ReleaseVerdict } from '../../../../src/model/release';

const VERDICT: ReleaseVerdict = {
  kind: 'systemic',
  rollback: [],
  atIndex: 5,
  reason:
    'systemic: stable versions degraded against their own past (db-proxy (outside the release) error-rate 0.1% → 45%)',
};

function read(
  states: Record<string, ReleaseMemberState>,
  extra: {
    verdicts?: ReleaseVerdict[];
    reasons?: Record<string, string>;
    outcome?: ReleaseRead['outcome'];
  } = {},
): ReleaseRead {
  return {
    workflowId: 'ripcord-release/demo/shop-2-0/demo-1',
    deploymentId: 'demo-1',
    service: 'shop-2-0',
    environment: 'demo',
    version: 'demo-1',
    policyHash: 'sha256:0',
    mode: 'auto',
    phase: extra.outcome ? 'close' : 'watch',
    paused: false,
    evaluations: 7,
    signals: [],
    approvals: [],
    continuedAsNew: 0,
    ...(extra.outcome ? { outcome: extra.outcome, reason: 'aborted by alice' } : {}),
    release: {
      releaseId: 'demo-1',
      name: 'shop-2-0',
      mode: 'independent',
      outside: ['db-proxy'],
      verdicts: extra.verdicts ?? [],
      rolledBack: [],
      members: Object.entries(states).map(([service, state]) => ({
        service,
        version: '2.0.0',
        previousVersion: '1.9.0',
        workflowId: `ripcord/demo/${service}/demo-1`,
        dependsOn: [],
        state,
        ...(extra.reasons?.[service] ? { reason: extra.reasons[service] } : {}),
      })),
    },
  };
}

function counts(byVersion: LoadCounts['byVersion']): LoadCounts {
  return { sent: 0, byVersion, failures: {}, skipped: 0, inFlight: 0 };
}

test('events: every member the first time, then only changes; a verdict once, with its words; the end', () => {
  const first = read({ payments: 'watching', checkout: 'watching' });
  expect(releaseEvents(undefined, first)).toEqual(['payments 2.0.0: watching', 'checkout 2.0.0: watching']);
  expect(releaseEvents(first, first)).toEqual([]);

  // A member's reason that repeats the verdict is not said twice.
  const held = read(
    { payments: 'held', checkout: 'watching' },
    { verdicts: [VERDICT], reasons: { payments: VERDICT.reason } },
  );
  expect(releaseEvents(first, held)).toEqual([
    'release verdict systemic at interval 5',
    `  ${VERDICT.reason}`,
    'payments 2.0.0: watching → held (the verdict above)',
  ]);
  const ended = read(
    { payments: 'aborted', checkout: 'aborted' },
    { verdicts: [VERDICT], reasons: { payments: 'aborted by alice' }, outcome: 'aborted' },
  );
  expect(releaseEvents(held, ended)).toEqual([
    'payments 2.0.0: held → aborted: aborted by alice',
    'checkout 2.0.0: watching → aborted',
    'release aborted: aborted by alice',
  ]);
});

test('errorsBetween: what callers saw each version answer between two snapshots, new version first', () => {
  const before = counts({ '1.9.0': { '200': 100, '500': 1 }, '2.0.0': { '200': 50 } });
  const after = counts({
    '1.9.0': { '200': 199, '500': 2 },
    '2.0.0': { '200': 95, '502': 5 },
    none: { '0': 0 },
  });
  expect(errorsBetween(before, after, ['2.0.0', '1.9.0'])).toBe(
    '2.0.0 10% errors (5 of 50), 1.9.0 1.0% errors (1 of 100)',
  );
  expect(errorsBetween(after, after, ['2.0.0'])).toBeUndefined();
  expect(errorsBetween(undefined, counts({ '1.9.0': { '200': 3 } }), [])).toBe('1.9.0 0.0% errors (0 of 3)');
});

test('the status line: phase, evaluations, every member, what each load saw', () => {
  const line = releaseStatusLine({
    status: read({ payments: 'rolling-back', checkout: 'watching' }),
    loads: { checkout: counts({ '2.0.0': { '200': 9, '502': 1 } }) },
    versions: ['2.0.0', '1.9.0'],
  });
  expect(line).toBe(
    'watch | 7 evaluations | payments 2.0.0 rolling-back, checkout 2.0.0 watching | checkout 2.0.0: 10 req, 1 err',
  );
  expect(releaseStatusLine({ status: undefined, loads: {}, versions: [] })).toBe('starting');
});

test('the timeline dates each milestone by the first read that shows it, from the deploy', () => {
  const timeline = new ReleaseTimeline();
  const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 10, 0, s));
  timeline.mark('deploy', 'canaries at 50%', t(0));
  timeline.observe(read({ payments: 'watching', checkout: 'watching' }), t(1));
  const rollback: ReleaseVerdict = { kind: 'isolated', rollback: ['payments'], atIndex: 11, reason: 'x' };
  timeline.observe(read({ payments: 'rolling-back', checkout: 'watching' }, { verdicts: [rollback] }), t(40));
  timeline.observe(read({ payments: 'rolled-back', checkout: 'watching' }, { verdicts: [rollback] }), t(49));
  timeline.observe(read({ payments: 'rolled-back', checkout: 'promoted' }, { verdicts: [rollback] }), t(105));
  const lines = timeline.lines();
  expect(lines.map((l) => l.replace(/\s+/g, ' ').trim())).toEqual([
    '10:00:00 T+ 0.0s (+ 0.0s) deploy canaries at 50%',
    '10:00:40 T+ 40.0s (+ 40.0s) verdict isolated, roll back payments',
    '10:00:40 T+ 40.0s (+ 0.0s) rolling back payments 2.0.0',
    '10:00:49 T+ 49.0s (+ 9.0s) rolled back payments 2.0.0 (back to 1.9.0)',
    '10:01:45 T+ 105.0s (+ 56.0s) promoted checkout 2.0.0',
  ]);
});
