import { checkReason } from '../../../src/cli/reason';
import { EXIT } from '../../../src/cli/exit-codes';
import { UserFacingError } from '../../../src/cli/errors';
import { runCli } from '../../harness/cli';
import { REPO_ROOT } from './helpers';

/** A compact JWS as an approver might paste it by mistake (its shape is all that matters here). */
const JWS =
  'eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSIsImFjdGlvbiI6ImFwcHJvdmUifQ.c2lnbmF0dXJlLWJ5dGVzLWhlcmU';
const REFUSAL =
  '--reason looks like it contains a signed token (JWS); remove it: reasons are stored in workflow history and the audit trail';

describe('checkReason', () => {
  it('refuses a reason holding a signed token, as a usage error naming the flag', () => {
    let thrown: unknown;
    try {
      checkReason(`approved, token was ${JWS}`);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UserFacingError);
    expect((thrown as UserFacingError).message).toBe(REFUSAL);
    expect((thrown as UserFacingError).exitCode).toBe(EXIT.usage);
  });

  it.each([
    ['a bearer token', 'curl said Bearer abcdefghijklmnopqrstuvwxyz0123'],
    ['a private key', '-----BEGIN PRIVATE KEY-----\nMIIEv...'],
  ])('names what it found: %s', (what, reason) => {
    expect(() => checkReason(reason)).toThrow(`--reason looks like it contains ${what};`);
  });

  it.each([undefined, '', 'error rate doubled after 2.0.0; rolling back per runbook RB-12'])(
    'lets an ordinary reason through (%p)',
    (reason) => {
      expect(() => checkReason(reason)).not.toThrow();
    },
  );
});

describe('ripcord <action> --reason with a credential', () => {
  // No server listens there: a refusal that came after a connection attempt would say so instead.
  const env = {
    RIPCORD_PROFILE: '',
    RIPCORD_ACTOR: 'alice',
    RIPCORD_ROLE: 'sre',
    RIPCORD_TOKEN: '',
    TEMPORAL_ADDRESS: '127.0.0.1:1',
  };
  // One of each kind (judges a plan, stops, starts a rollback): every action goes through the same check.
  it.each(['approve', 'abort', 'rollback'])('%s refuses before sending anything, with exit 2', (command) => {
    const result = runCli([command, 'd-1', '--reason', `see ${JWS}`], { cwd: REPO_ROOT, env });
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain(REFUSAL);
    expect(result.stderr).not.toMatch(/connect|unavailable|timed out/i);
  });
});
