import { approveCommand, escalationCommands, roleArg, shellWord } from '../../../src/model/operator-commands';

const AT = {
  deploymentId: 'build-481',
  service: 'checkout',
  environment: 'production',
  namespace: 'default',
};
const PLAN = `sha256:${'0'.repeat(64)}`;

describe('the commands that end a wait', () => {
  test('one approval role is written as it is: the command runs as pasted', () => {
    expect(approveCommand(AT, { planHash: PLAN, roles: ['sre'] })).toBe(
      `npx ripcord approve build-481 --service checkout --env production --plan ${PLAN} --role sre`,
    );
  });

  test('several roles: a placeholder names the choices', () => {
    expect(roleArg(['sre', 'lead'])).toBe('<one of sre, lead>');
  });

  test('a namespace other than default goes in front, quoted when a shell would split it', () => {
    expect(
      approveCommand({ ...AT, namespace: 'pay prod' }, { planHash: PLAN, roles: ['sre'] }, 'reject'),
    ).toMatch(/^TEMPORAL_NAMESPACE='pay prod' npx ripcord reject build-481 /);
  });

  test('escalated: rollback and abort in a role', () => {
    expect(escalationCommands(AT, ['sre']).slice(1)).toEqual([
      'npx ripcord rollback build-481 --service checkout --env production --role sre --reason "<why>"',
      'npx ripcord abort build-481 --service checkout --env production --role sre --reason "<why>"',
    ]);
  });

  test('words a shell would expand are quoted', () => {
    expect(shellWord('$HOME')).toBe("'$HOME'");
  });
});
