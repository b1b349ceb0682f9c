import { formatStatus } from '../../../src/cli/status-format';
import { PLAN, status } from './helpers';

/**
 * `ripcord status` of a guardian waiting for a person (issue 17): who may end
 * the wait and until when, the full plan hash, and the exact command, naming
 * the namespace when it is not the default one.
 */
const NOW = new Date('2026-01-01T12:00:00Z');
const LINK = 'http://127.0.0.1:8233/namespaces/default/workflows/x';
const HASH = `sha256:${'cd'.repeat(32)}`;

const atGate = status({
  phase: 'gate',
  plan: { ...PLAN, planHash: HASH },
  approvers: { roles: ['sre', 'lead'], quorum: 2 },
  waiting: { for: '2 approval(s) from sre, lead', until: '2026-01-01T12:30:00.000Z' },
});

describe('ripcord status says how to end a wait', () => {
  it('at the gate: who may approve, until when, the full plan and the approve command', () => {
    const lines = formatStatus(atGate, LINK, NOW, undefined, 'payments-prod').split('\n');
    const at = lines.findIndex((l) => l.startsWith('waiting for  '));
    expect(lines.slice(at + 1, at + 4)).toEqual([
      '             who may act: sre or lead (2 approvals needed), until 2026-01-01 12:30:00Z (in 30m)',
      `             plan ${HASH}`,
      `             run: TEMPORAL_NAMESPACE=payments-prod npx ripcord approve d-1 --service checkout --env production --plan ${HASH} --role <one of sre, lead>`,
    ]);
  });

  it('in the default namespace the command names none', () => {
    const text = formatStatus(atGate, LINK, NOW);
    expect(text).toContain(`run: npx ripcord approve d-1 --service checkout --env production --plan ${HASH}`);
  });

  it('escalated: the rollback and abort commands', () => {
    const text = formatStatus(
      status({
        phase: 'escalated',
        approvers: { roles: ['sre'], quorum: 1 },
        waiting: { for: 'a person: ripcord rollback or ripcord abort', until: '2026-01-01T13:00:00.000Z' },
      }),
      LINK,
      NOW,
    );
    expect(text).toContain(
      'run: npx ripcord rollback d-1 --service checkout --env production --role sre --reason "<why>"',
    );
    expect(text).toContain(
      'run: npx ripcord abort d-1 --service checkout --env production --role sre --reason "<why>"',
    );
  });

  it('a run that ended early offers no command: nothing waits any more', () => {
    const text = formatStatus(atGate, LINK, NOW, { status: 'TERMINATED' } as never);
    expect(text).not.toContain('npx ripcord approve');
  });
});
