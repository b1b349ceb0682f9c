import { PermanentStepError } from '../../../../src/targets/errors';
import { CircuitBreakers } from '../../../../src/targets/support/circuit-breaker';
import { ResponseShapeError } from '../../../../src/targets/support/response';
import { UnleashAdminClient } from '../../../../src/targets/unleash/admin-client';
import { type Answer, jsonServer } from '../json-server';

const TOKEN = '*:*.unit-test-admin-token';

let answers: Record<string, Answer>;
let server: Awaited<ReturnType<typeof jsonServer>>;
let breakers: CircuitBreakers;

beforeAll(async () => {
  server = await jsonServer(
    (req) => answers[req.url ?? ''] ?? { status: 404, body: { message: 'no such thing' } },
  );
});
afterAll(() => server.close());
beforeEach(() => {
  answers = {};
  breakers = new CircuitBreakers();
});
afterEach(() => breakers.shutdown());

const client = () =>
  new UnleashAdminClient({ baseUrl: server.url, token: TOKEN, timeoutMs: 2_000, breakers });
const signal = () => new AbortController().signal;
const FEATURE = '/api/admin/projects/default/features/checkout';
const TAGS = '/api/admin/features/checkout/tags';

async function failure(promise: Promise<unknown>): Promise<ResponseShapeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ResponseShapeError);
  expect(error).toBeInstanceOf(PermanentStepError);
  return error as ResponseShapeError;
}

describe('Unleash answers are read with a schema', () => {
  it('reads the environments of a flag and drops what it does not read', async () => {
    answers[FEATURE] = {
      body: {
        name: 'checkout',
        environments: [{ name: 'production', enabled: true, type: 'production', strategies: [] }],
      },
    };
    await expect(client().feature('default', 'checkout', signal())).resolves.toEqual({
      name: 'checkout',
      project: 'default',
      environments: [{ name: 'production', enabled: true }],
    });
  });

  it('a flag answer with an environment of the wrong shape names the field', async () => {
    answers[FEATURE] = { body: { environments: [{ name: 'production', enabled: 'true' }] } };
    const error = await failure(client().feature('default', 'checkout', signal()));
    expect(error.field).toBe('environments[0].enabled');
    expect(error.message).toBe(
      `the unleash target could not read the answer of Unleash at ${server.url} for feature flag "checkout": ` +
        `field "environments[0].enabled": expected boolean, received string; is the target's url an Unleash server?`,
    );
  });

  it('a page that is not Unleash says so, without quoting it', async () => {
    answers[FEATURE] = { body: '<html>Welcome to the proxy</html>' };
    const error = await failure(client().feature('default', 'checkout', signal()));
    expect(error.message).toMatch(/feature flag "checkout": the body is not JSON; is the target's url/);
    expect(error.message).not.toContain('Welcome');
  });

  it('tags without a list are an error, never an empty record', async () => {
    answers[TAGS] = { body: { version: 1 } };
    const error = await failure(client().tags('checkout', signal()));
    expect(error.field).toBe('tags');
    expect(error.message).toMatch(
      /the tags of feature flag "checkout": field "tags" is missing \(expected array\)$/,
    );

    answers[TAGS] = { body: { tags: [{ type: 'ripcord-rollback', value: 7 }] } };
    expect((await failure(client().tags('checkout', signal()))).field).toBe('tags[0].value');

    answers[TAGS] = { body: { version: 1, tags: [{ type: 'ripcord-rollback', value: 'abc.was-on' }] } };
    await expect(client().tags('checkout', signal())).resolves.toEqual([
      { type: 'ripcord-rollback', value: 'abc.was-on' },
    ]);
  });

  it("a refusal carries Unleash's own message, or the body when it has none", async () => {
    await expect(client().feature('default', 'checkout', signal())).rejects.toThrow(
      /does not exist in project "default" .*\(no such thing\)/,
    );
    answers[TAGS] = { status: 400, body: 'plain refusal' };
    await expect(client().tags('checkout', signal())).rejects.toThrow(/HTTP 400: plain refusal/);
  });
});
