import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { UserFacingError } from '../../../src/cli/errors';
import { locateGuardian } from '../../../src/cli/guardian-lookup';

/** A client with no guardians at all: visibility lists none, describe finds none. */
function emptyClient(): Client {
  return {
    workflow: {
      list: () => (async function* () {})(),
      getHandle: (workflowId: string) => ({
        workflowId,
        describe: () => Promise.reject(new WorkflowNotFoundError('not found', workflowId, undefined)),
      }),
    },
  } as unknown as Client;
}

describe('an id that names no guardian', () => {
  it.each([
    ['a deployment id', 'build-999', {}],
    ['a deployment id with --service and --env', 'build-999', { service: 'checkout', env: 'production' }],
    ['a full workflow id', 'ripcord/production/checkout/build-999', {}],
  ])('%s: says so and suggests ripcord list', async (_name, id, flags) => {
    const error = await locateGuardian(emptyClient(), id, flags).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserFacingError);
    expect((error as UserFacingError).message).toMatch(/^no guardian .*build-999/);
    expect((error as UserFacingError).message).toContain('ripcord list');
    expect((error as UserFacingError).exitCode).toBe(1);
  });
});
