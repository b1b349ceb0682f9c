import { resolveActor } from '../../../src/cli/actor';
import { UserFacingError } from '../../../src/cli/errors';

describe('who asks for an operator action', () => {
  it.each([
    { flags: { as: 'alice', role: 'sre' }, env: {}, expected: { actor: 'alice', role: 'sre' } },
    {
      flags: {},
      env: { RIPCORD_ACTOR: 'bob', USER: 'root', RIPCORD_ROLE: 'oncall' },
      expected: { actor: 'bob', role: 'oncall' },
    },
    { flags: {}, env: { USER: 'carol', RIPCORD_ROLE: 'sre' }, expected: { actor: 'carol', role: 'sre' } },
    {
      flags: { as: 'dave', role: 'lead' },
      env: { RIPCORD_ACTOR: 'bob', RIPCORD_ROLE: 'sre' },
      expected: { actor: 'dave', role: 'lead' },
    },
  ])('flags win over the environment: $expected.actor as $expected.role', ({ flags, env, expected }) => {
    expect(resolveActor(flags, env)).toEqual(expected);
  });

  it.each([
    {
      flags: { as: 'alice' },
      env: {},
      message: /a role is required: pass --role <role> or set RIPCORD_ROLE/,
    },
    { flags: { role: 'sre' }, env: {}, message: /who is asking\? pass --as <actor> or set RIPCORD_ACTOR/ },
    { flags: { as: '  ', role: 'sre' }, env: { USER: 'x' }, message: /who is asking/ },
  ])('refuses with a usage error (exit 2) when a claim is missing: $message', ({ flags, env, message }) => {
    let thrown: unknown;
    try {
      resolveActor(flags, env);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UserFacingError);
    expect((thrown as UserFacingError).exitCode).toBe(2);
    expect((thrown as UserFacingError).message).toMatch(message);
  });
});
