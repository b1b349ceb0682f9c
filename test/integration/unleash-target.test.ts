import { startUnleash, type LocalUnleash } from '../../src/dev/unleash';
import type { ResolvedAction } from '../../src/model/plan';
import { findFreePort } from '../../src/dev/ports';
import {
  CircuitBreakers,
  CircuitOpenError,
  EndpointUnavailableError,
} from '../../src/targets/support/circuit-breaker';
import { PermanentStepError } from '../../src/targets/errors';
import { RECORD_TAG_TYPE, UnleashFlagTarget } from '../../src/targets/unleash';
import { recordTag } from '../../src/targets/unleash/rollback-record';
import { testContext } from '../unit/targets/helpers';
import { deployment, PLAN_HASH, plannedStep, secrets } from '../unit/targets/unleash/steps';

/**
 * The Unleash target against a real Unleash server (npm unleash-server, its own
 * fresh PostgreSQL database): the flag is switched through the Admin API and
 * read back from Unleash, not from anything the target remembers.
 */

let unleash: LocalUnleash | undefined;
let breakers: CircuitBreakers;

beforeAll(async () => {
  unleash = await startUnleash();
  // Unleash migrates its fresh database first; say how long that took, for whoever wonders why this tier is slow.
  process.stdout.write(`Unleash ready in ${(unleash.startedInMs / 1000).toFixed(1)} s\n`);
}, 180_000);

afterAll(async () => {
  breakers?.shutdown();
  await unleash?.stop();
}, 60_000);

const afterThis: (() => void)[] = [];
afterEach(() => afterThis.splice(0).forEach((cleanup) => cleanup()));

beforeEach(() => {
  breakers?.shutdown();
  breakers = new CircuitBreakers();
});

function server(): LocalUnleash {
  if (unleash === undefined) throw new Error('Unleash did not start');
  return unleash;
}

async function admin(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${server().url}${path}`, {
    method,
    headers: {
      authorization: server().adminToken,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

async function createFlag(name: string, onIn: string[]): Promise<void> {
  await admin('POST', '/api/admin/projects/default/features', { name, type: 'release' });
  for (const env of onIn) {
    await admin('POST', `/api/admin/projects/default/features/${name}/environments/${env}/on`);
  }
}

/** Whether the flag is on, per environment, as Unleash itself says. */
async function flagState(name: string): Promise<Record<string, boolean>> {
  const feature = (await admin('GET', `/api/admin/projects/default/features/${name}`)) as {
    environments: { name: string; enabled: boolean }[];
  };
  return Object.fromEntries(feature.environments.map((env) => [env.name, env.enabled]));
}

function target(token = server().adminToken): UnleashFlagTarget {
  return new UnleashFlagTarget(
    { type: 'unleash', url: server().url, tokenSecret: '${secret:UNLEASH_TOKEN}' },
    { secrets: secrets({ UNLEASH_TOKEN: token }), breakers },
  );
}

function disableFlag(flag: string, project = 'default'): ResolvedAction {
  return { type: 'disable-flag', flag, project };
}

it('turns a flag off in the deployment environment, once, and turns it back on when compensated', async () => {
  await createFlag('new-checkout', ['production', 'development']);
  const dep = deployment({ environment: 'production' });
  const step = plannedStep(dep, disableFlag('new-checkout'));
  const ctx = testContext(dep, PLAN_HASH);

  const first = await target().apply(step, ctx);
  expect(first.applied).toBe(true);
  expect(first.detail).toContain('on → off');
  expect(await flagState('new-checkout')).toEqual({ production: false, development: true });
  expect(await target().verify(step, ctx)).toBe(
    'feature flag "new-checkout" (project default) off in production',
  );

  // A retry after a crash, on this worker or another one: nothing is applied again.
  const again = await target().apply(step, ctx);
  expect(again.applied).toBe(false);
  expect(await flagState('new-checkout')).toEqual({ production: false, development: true });

  const undo = await target().compensate(step, ctx);
  expect(undo).toEqual({ compensated: true, detail: expect.stringContaining('off → on') as string });
  expect(await flagState('new-checkout')).toEqual({ production: true, development: true });

  // Compensation is idempotent too, and an undone step is not applied again under the same key.
  expect((await target().compensate(step, ctx)).detail).toContain('already undone');
  await expect(target().apply(step, ctx)).rejects.toThrow(/already undone/);
  expect(await flagState('new-checkout')).toEqual({ production: true, development: true });
});

it('leaves a flag that was off before the step off when it compensates', async () => {
  await createFlag('dark-launch', []);
  const dep = deployment();
  const step = plannedStep(dep, disableFlag('dark-launch'));
  const ctx = testContext(dep, PLAN_HASH);

  expect((await target().apply(step, ctx)).detail).toContain('was already off');
  expect((await target().apply(step, ctx)).applied).toBe(false);
  expect((await target().compensate(step, ctx)).detail).toContain('left off');
  expect(await flagState('dark-launch')).toEqual({ production: false, development: false });
});

it('fails permanently, naming the flag, when the flag or its project does not exist', async () => {
  const dep = deployment();
  const ctx = testContext(dep, PLAN_HASH);
  const missing = plannedStep(dep, disableFlag('no-such-flag'));
  const error = await target()
    .apply(missing, ctx)
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PermanentStepError);
  expect((error as Error).message).toContain('"no-such-flag"');

  await createFlag('in-default', ['production']);
  const wrongProject = plannedStep(dep, disableFlag('in-default', 'payments'));
  await expect(target().apply(wrongProject, ctx)).rejects.toThrow(/"in-default".*project "payments"/);
  expect(await flagState('in-default')).toMatchObject({ production: true });
});

it('fails permanently when Unleash rejects the token, without showing the token', async () => {
  await createFlag('token-check', ['production']);
  const dep = deployment();
  const badToken = '*:*.0000000000000000000000000000000000000000deadbeef';
  const error = (await target(badToken)
    .apply(plannedStep(dep, disableFlag('token-check')), testContext(dep, PLAN_HASH))
    .catch((e: unknown) => e)) as Error;
  expect(error).toBeInstanceOf(PermanentStepError);
  expect(error.message).toMatch(/rejected the token/);
  expect(error.message).not.toContain('deadbeef');
  expect(await flagState('token-check')).toMatchObject({ production: true });
});

it('refuses an environment the flag does not have, and says which ones it has', async () => {
  await createFlag('env-check', ['production']);
  const dep = deployment({ environment: 'staging' });
  await expect(
    target().apply(plannedStep(dep, disableFlag('env-check')), testContext(dep, PLAN_HASH)),
  ).rejects.toThrow(/no environment "staging" \(it has: development, production\)/);
});

it('finishes a step that crashed after recording the snapshot but before switching the flag off', async () => {
  await createFlag('half-done', ['production']);
  const dep = deployment();
  const step = plannedStep(dep, disableFlag('half-done'));
  const ctx = testContext(dep, PLAN_HASH);
  // What the crashed attempt left behind: the record that the flag was on, and the flag still on.
  await admin('POST', '/api/admin/tag-types', { name: RECORD_TAG_TYPE }).catch(() => undefined);
  await admin('POST', '/api/admin/features/half-done/tags', recordTag(step.idempotencyKey, 'was-on'));

  expect((await target().apply(step, ctx)).applied).toBe(true);
  expect(await flagState('half-done')).toMatchObject({ production: false });
  await target().compensate(step, ctx);
  expect(await flagState('half-done')).toMatchObject({ production: true });
});

it('gives a retryable error when Unleash cannot be reached, and then fails fast', async () => {
  const dep = deployment();
  const ctx = testContext(dep, PLAN_HASH);
  const ownBreakers = new CircuitBreakers({ minimumCalls: 2 });
  afterThis.push(() => ownBreakers.shutdown());
  const down = new UnleashFlagTarget(
    {
      type: 'unleash',
      url: `http://127.0.0.1:${await findFreePort()}`,
      tokenSecret: '${secret:UNLEASH_TOKEN}',
    },
    {
      secrets: secrets({ UNLEASH_TOKEN: server().adminToken }),
      breakers: new CircuitBreakers({ minimumCalls: 2 }),
    },
  );
  const step = plannedStep(dep, disableFlag('anything'));
  const first = (await down.apply(step, ctx).catch((e: unknown) => e)) as Error;
  expect(first).toBeInstanceOf(EndpointUnavailableError);
  expect(first.message).toMatch(/cannot reach Unleash at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  await expect(down.apply(step, ctx)).rejects.toBeInstanceOf(EndpointUnavailableError);
  const third = (await down.apply(step, ctx).catch((e: unknown) => e)) as Error;
  expect(third).toBeInstanceOf(CircuitOpenError);
  expect(third.message).not.toContain(server().adminToken);
});
