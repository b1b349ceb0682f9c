import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import {
  TOKEN_CLAIM_ID_PREFIX,
  temporalTokenClaims,
  tokenClaimWorkflowId,
} from '../../../src/activities/token-claim';
import { createTimeSkippingEnv } from '../../harness/temporal';

describe('tokenClaimWorkflowId', () => {
  test('a plain jti (a UUID) is kept, readable', () => {
    expect(tokenClaimWorkflowId('0b8f5c1e-3a51-4d2e-9d7e-6a1f1a2b3c4d')).toBe(
      'ripcord-token/0b8f5c1e-3a51-4d2e-9d7e-6a1f1a2b3c4d',
    );
  });

  test.each([
    ['long', 'x'.repeat(500)],
    ['with a slash', 'a/b'],
    ['with spaces and control characters', 'a b\n\u001b[31m'],
    ['non-ASCII', 'jéti'],
  ])('a %s jti becomes its SHA-256 under a prefix no plain jti can produce', (_label, jti) => {
    const id = tokenClaimWorkflowId(jti);
    expect(id).toMatch(/^ripcord-token\/sha256\/[0-9a-f]{64}$/);
    expect(id).toBe(tokenClaimWorkflowId(jti));
    expect(id.startsWith(TOKEN_CLAIM_ID_PREFIX)).toBe(true);
  });
});

/**
 * The Temporal claim store against the time-skipping server, with a worker
 * that runs only the tokenClaim workflow: the first claim wins, the same
 * request may claim again, anyone else is refused, also after the claim
 * workflow has closed (REJECT_DUPLICATE).
 */
describe('temporalTokenClaims on a Temporal server', () => {
  const taskQueue = 'token-claims';
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;

  jest.setTimeout(60_000);

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../../src/workflows/token-claim'),
      logger: new DefaultLogger('ERROR'),
    });
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  test('one claim per token id in the namespace; a retry of the same request finds its own', async () => {
    const claims = temporalTokenClaims(env.client, { taskQueue });
    const until = new Date(Date.now() + 10 * 60_000).toISOString();
    const staging = { tokenId: 'abort-once', until, claimedBy: 'ripcord/staging/billing/d-1#r1' };
    await expect(claims.claim(staging)).resolves.toEqual({ claimed: true });
    await expect(claims.claim(staging)).resolves.toEqual({ claimed: true });
    const production = await claims.claim({ ...staging, claimedBy: 'ripcord/production/billing/d-1#r1' });
    expect(production).toMatchObject({ claimed: false });
    expect(production).toMatchObject({
      reason: expect.stringMatching(
        /^this token was already used \(claimed by another request at \d{4}-\d\d-\d\dT[\d:.]+Z\)$/,
      ),
    });

    // The claim lasts until the token expires, then closes; its id stays taken.
    const handle = env.client.workflow.getHandle('ripcord-token/abort-once');
    await handle.result();
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    await expect(claims.claim({ ...staging, claimedBy: 'someone-else#r9' })).resolves.toMatchObject({
      claimed: false,
    });
  });

  test('an odd jti is claimed under its hash', async () => {
    const claims = temporalTokenClaims(env.client, { taskQueue });
    const claim = { tokenId: 'a/b c', until: new Date(Date.now() + 60_000).toISOString(), claimedBy: 'x#r1' };
    await expect(claims.claim(claim)).resolves.toEqual({ claimed: true });
    await expect(claims.claim({ ...claim, claimedBy: 'y#r1' })).resolves.toMatchObject({ claimed: false });
    const description = await env.client.workflow.getHandle(tokenClaimWorkflowId('a/b c')).describe();
    expect(description.memo).toEqual({ claimedBy: 'x#r1' });
    expect(description.type).toBe('tokenClaim');
  });
});
