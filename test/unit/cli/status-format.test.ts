import { formatGuardianRows, guardianListLink } from '../../../src/cli/guardian-list';
import { formatClosedGuardian, formatPlan, formatStatus } from '../../../src/cli/status-format';
import { formatMoment } from '../../../src/text/moments';
import { formatNumber } from '../../../src/text/numbers';
import { PLAN, status } from './helpers';

const NOW = new Date('2026-01-01T12:00:00Z');
const LINK = 'http://127.0.0.1:8233/namespaces/default/workflows/ripcord%2Fproduction%2Fcheckout%2Fd-1';

describe('numbers and moments', () => {
  it.each([
    [0, '0'],
    [1, '1'],
    [12.3456, '12.3'],
    [0.0123456, '0.0123'],
    [123456, '1.23e5'],
    [0.00001234, '1.23e-5'],
    [Infinity, '∞'],
  ])('e-value %p reads %s', (value, text) => {
    expect(formatNumber(value)).toBe(text);
  });

  it.each([
    ['2026-01-01T12:04:30.000Z', '2026-01-01 12:04:30Z (in 4m 30s)'],
    ['2026-01-01T11:00:00.000Z', '2026-01-01 11:00:00Z (1h ago)'],
    ['2026-01-01T12:00:00.000Z', '2026-01-01 12:00:00Z (now)'],
    ['not a time', 'not a time'],
  ])('%s reads %s', (iso, text) => {
    expect(formatMoment(iso, NOW)).toBe(text);
  });
});

describe('ripcord status', () => {
  it('shows the phase, the verdicts per signal with their evidence in words, and the Web UI link', () => {
    const text = formatStatus(
      status({
        phase: 'confirm',
        evaluations: 14,
        lastVerdict: { index: 13, verdict: 'regressed', reason: 'error-rate: breach' },
        signals: [
          {
            signal: 'error-rate',
            verdict: 'regressed',
            phase: 'confirming',
            reason: 'breach',
            eValue: 250,
            threshold: 200,
          },
          {
            signal: 'latency-p99',
            verdict: 'healthy',
            phase: 'watching',
            reason: 'ok',
            eValue: 0.5,
            threshold: 200,
          },
        ],
        waiting: { for: 'the next evaluation (every 30 s)' },
      }),
      LINK,
      NOW,
    );
    const lines = text.split('\n');
    expect(lines).toContain('phase        confirm');
    expect(lines).toContain('waiting for  the next evaluation (every 30 s)');
    expect(lines).toContain('evaluations  14');
    expect(lines).toContain('last verdict regressed at interval 13: error-rate: breach');
    expect(lines).toContain(
      '  signal       verdict    state       evidence                               why',
    );
    expect(lines).toContain(
      '  error-rate   regressed  confirming  1.3× the evidence needed               breach',
    );
    expect(lines).toContain(
      '  latency-p99  healthy    watching    evidence <1% of what a rollback needs  ok',
    );
    expect(text).not.toMatch(/e-value|threshold/);
    expect(lines).toContain(`Web UI       ${LINK}`);
    expect(text).not.toMatch(/ +\n/); // no trailing blanks
  });

  it('says when the guardian is paused, and what it waits for until when', () => {
    const text = formatStatus(
      status({
        phase: 'gate',
        paused: true,
        plan: PLAN,
        waiting: { for: '2 approval(s) from sre, lead', until: '2026-01-01T12:30:00.000Z' },
        approvals: [
          { subject: 'alice', role: 'sre', at: '2026-01-01T11:59:00.000Z', planHash: PLAN.planHash },
        ],
        decision: { decision: 'rollback', decidedAtIndex: 15, reason: 'confirmed', source: 'manual' },
      }),
      LINK,
      NOW,
    );
    expect(text).toContain('phase        gate (PAUSED: no evaluation until resumed)');
    expect(text).toContain('waiting for  2 approval(s) from sre, lead until 2026-01-01 12:30:00Z (in 30m)');
    expect(text).toContain('decision     rollback (manual) at interval 15: confirmed');
    const early = formatStatus(
      status({ decision: { decision: 'rollback', decidedAtIndex: -1, reason: 'by hand', source: 'manual' } }),
      LINK,
      NOW,
    );
    expect(early).toContain('decision     rollback (manual) before the first evaluation: by hand');
    expect(text).toContain('plan sha256:plan1\n  risk high: canary weight 50% is above 25%');
    expect(text).toContain('  step 0 drain-canary (shift-traffic): pending');
    expect(text).toContain('approvals    alice (sre) at 2026-01-01 11:59:00Z (1m ago)');
  });

  it('shows the outcome of a closed guardian, and the runs of a long watch', () => {
    const text = formatStatus(
      status({
        phase: 'close',
        outcome: 'rolled-back',
        reason: 'rolled back to 1.9.0',
        continuedAsNew: 2,
        evaluations: 1200,
      }),
      LINK,
      NOW,
    );
    expect(text).toContain('outcome      rolled-back: rolled back to 1.9.0');
    expect(text).toContain('evaluations  1200 (over 3 runs)');
  });

  it('shows each step with its state and what was read back', () => {
    expect(
      formatPlan({
        ...PLAN,
        steps: [
          { ...PLAN.steps[0]!, state: 'compensated', detail: 'restored canary weight 50%' },
          { ...PLAN.steps[1]!, state: 'failed', detail: 'PermanentStepError: 404' },
        ],
      }),
    ).toEqual([
      'plan sha256:plan1',
      '  risk high: canary weight 50% is above 25%',
      '  step 0 drain-canary (shift-traffic): compensated — restored canary weight 50%',
      '  step 1 announce (webhook): failed — PermanentStepError: 404',
    ]);
  });

  it('falls back to the history for a closed guardian nobody serves', () => {
    const text = formatClosedGuardian(
      {
        workflowId: 'ripcord/production/checkout/d-1',
        executionStatus: 'COMPLETED',
        closedAt: '2026-01-01T11:00:00.000Z',
        searchAttributes: {
          RipcordDeploymentId: 'd-1',
          RipcordService: 'checkout',
          RipcordVersion: '2.0.0',
          RipcordEnvironment: 'production',
          RipcordPhase: 'close',
        },
        result: { outcome: 'aborted', reason: 'aborted by alice', evaluations: 3 },
      },
      LINK,
    );
    expect(text).toContain('deployment   d-1: checkout 2.0.0 in production');
    expect(text).toContain('phase        close (closed at 2026-01-01T11:00:00.000Z, completed)');
    expect(text).toContain('outcome      aborted: aborted by alice');
    expect(text).toContain(`Web UI       ${LINK}`);
  });
});

describe('ripcord status of a guardian whose run ended early', () => {
  const waitingAtGate = () =>
    status({
      phase: 'gate',
      waiting: { for: 'approval of the rollback plan', until: '2026-01-01T13:00:00.000Z' },
    });

  it.each(['TERMINATED', 'TIMED_OUT', 'FAILED', 'CANCELED'])(
    '%s says so first and never that it waits',
    (executionStatus) => {
      const text = formatStatus(waitingAtGate(), LINK, NOW, {
        status: executionStatus,
        closeTime: '2026-01-01T11:59:00.000Z',
      });
      expect(text.split('\n')[0]).toBe(
        `${executionStatus} at 2026-01-01 11:59:00Z (1m ago): the guardian is no longer running; ` +
          'what it waited for will not happen',
      );
      expect(text).not.toContain('waiting for');
      expect(text).toContain('phase        gate');
    },
  );

  it('a running or completed guardian reads as before', () => {
    for (const execution of [undefined, { status: 'RUNNING' }, { status: 'COMPLETED' }]) {
      const text = formatStatus(waitingAtGate(), LINK, NOW, execution);
      expect(text.split('\n')[0]).toMatch(/^guardian {5}/);
      expect(text).toContain('waiting for  approval of the rollback plan until 2026-01-01 13:00:00Z (in 1h)');
    }
  });

  it('a closed guardian nobody serves says it ended early as well', () => {
    const text = formatClosedGuardian(
      {
        workflowId: 'ripcord/production/checkout/d-1',
        executionStatus: 'TERMINATED',
        closedAt: '2026-01-01T11:00:00.000Z',
        searchAttributes: { RipcordPhase: 'gate' },
        stopped: 'terminated: by hand',
      },
      LINK,
      NOW,
    );
    expect(text.split('\n')[0]).toBe(
      'TERMINATED at 2026-01-01 11:00:00Z (1h ago): the guardian is no longer running; what it waited for will not happen',
    );
  });
});

describe('ripcord list', () => {
  const row = {
    workflowId: 'ripcord/production/checkout/d-1',
    deploymentId: 'd-1',
    service: 'checkout',
    environment: 'production',
    version: '2.0.0',
    phase: 'watch',
    outcome: '',
    status: 'RUNNING',
    startTime: new Date('2026-01-01T12:00:00.123Z'),
  };

  it('prints one aligned row per guardian', () => {
    expect(
      formatGuardianRows(
        [
          row,
          { ...row, deploymentId: 'd-0', phase: 'close', outcome: 'rolled-back', status: 'COMPLETED' },
          { ...row, deploymentId: 'rehearsal-1', phase: 'watch', status: 'TERMINATED' },
        ],
        { all: true },
      ),
    ).toEqual([
      'DEPLOYMENT   SERVICE   ENV         VERSION  PHASE  VERDICT  EVIDENCE  WAIT  OUTCOME      STARTED',
      'd-1          checkout  production  2.0.0    watch  -        -         -     -            2026-01-01 12:00:00Z',
      'd-0          checkout  production  2.0.0    close  -        -         -     rolled-back  2026-01-01 12:00:00Z',
      'rehearsal-1  checkout  production  2.0.0    watch  -        -         -     terminated   2026-01-01 12:00:00Z',
    ]);
  });

  it('says so when there is nothing to list', () => {
    expect(formatGuardianRows([], { all: false })).toEqual(['no running guardians']);
    expect(formatGuardianRows([], { all: true })).toEqual(['no guardians found']);
  });

  it('links to the guardians in the Web UI', () => {
    expect(guardianListLink({ webUi: 'https://temporal.example.com/', namespace: 'prod' })).toBe(
      'https://temporal.example.com/namespaces/prod/workflows?query=WorkflowType%3D%22guardian%22',
    );
    expect(guardianListLink({ namespace: 'default' })).toMatch(
      /^http:\/\/127\.0\.0\.1:8233\/namespaces\/default\//,
    );
  });
});
