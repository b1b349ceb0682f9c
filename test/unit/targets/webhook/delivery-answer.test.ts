import type { ResolvedAction } from '../../../../src/model/plan';
import { CircuitBreakers } from '../../../../src/targets/support/circuit-breaker';
import { ResponseShapeError } from '../../../../src/targets/support/response';
import { WebhookTarget } from '../../../../src/targets/webhook';
import { testContext } from '../helpers';
import { type Answer, jsonServer } from '../json-server';
import { deployment, PLAN_HASH, plannedStep, secrets } from '../unleash/steps';

let answer: Answer;
let server: Awaited<ReturnType<typeof jsonServer>>;
let breakers: CircuitBreakers;

beforeAll(async () => {
  server = await jsonServer((req) =>
    req.method === 'GET' ? { body: { state: 'succeeded', message: 'synced' } } : answer,
  );
});
afterAll(() => server.close());
beforeEach(() => {
  breakers = new CircuitBreakers();
});
afterEach(() => breakers.shutdown());

function verifyWith(delivered: Answer): Promise<string> {
  answer = delivered;
  const dep = deployment();
  const action: ResolvedAction = {
    type: 'webhook',
    url: `${server.url}/rollback`,
    method: 'POST',
    hmacSecret: '${secret:DEPLOY_HMAC}',
  };
  const target = new WebhookTarget(
    { type: 'webhook' },
    { secrets: secrets({ DEPLOY_HMAC: 'unit-test-hmac-secret' }), breakers },
  );
  return target.verify(plannedStep(dep, action), testContext(dep, PLAN_HASH));
}

describe('what a receiver answers a delivery with', () => {
  it('a statusUrl in the body is followed', async () => {
    await expect(verifyWith({ status: 202, body: { statusUrl: `${server.url}/jobs/1` } })).resolves.toMatch(
      /the receiver reports the rollback succeeded: synced/,
    );
  });

  it.each([
    ['text', { status: 202, body: 'accepted' }],
    ['JSON that is not an object', { status: 202, body: ['accepted'] }],
    ['an object without a statusUrl', { status: 202, body: { id: 42 } }],
    ['a null statusUrl', { status: 202, body: { statusUrl: null } }],
  ])('%s carries no status URL: nothing to follow', async (_what, delivered) => {
    await expect(verifyWith(delivered)).resolves.toMatch(/the receiver gave no status URL to follow/);
  });

  it('without one in the body, the Location header is followed', async () => {
    await expect(
      verifyWith({ status: 202, body: {}, headers: { location: `${server.url}/jobs/2` } }),
    ).resolves.toMatch(/reports the rollback succeeded/);
  });

  it('a statusUrl that is not a string breaks the contract: the step fails for good, naming the field', async () => {
    const error = (await verifyWith({ status: 202, body: { statusUrl: 7 } }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error).toBeInstanceOf(ResponseShapeError);
    expect(error.message).toBe(
      `the webhook target could not read the answer of the receiver at ${server.url} to the rollback: ` +
        'field "statusUrl": expected string, received number',
    );
  });
});
