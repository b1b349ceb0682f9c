import { checkPlane } from '../../../src/cli/worker-plane';

const base = { allowSecret: [] as string[] };

describe('which credentials each plane may hold', () => {
  test('a plain worker runs both planes, as before', () => {
    expect(checkPlane(base, {})).toEqual({ plane: 'all', problems: [] });
  });

  test('a decide plane refuses a targets file, from the flag or the environment', () => {
    expect(checkPlane({ ...base, plane: 'decide', targets: 't.yaml' }, {}).problems).toEqual([
      '--plane decide holds no production credential, but it was given a targets file (--targets): give it to the execute plane',
    ]);
    expect(checkPlane({ ...base, plane: 'decide' }, { RIPCORD_TARGETS: 't.yaml' }).problems[0]).toMatch(
      /\$RIPCORD_TARGETS/,
    );
  });

  test('a decide plane refuses a target secret in its environment, naming it, unless a source or receiver reads it', () => {
    const env = { RIPCORD_SECRET_DEPLOY_HOOK_HMAC: 'x', RIPCORD_SECRET_PROMETHEUS_TOKEN: 'y', PATH: '/bin' };
    const refused = checkPlane({ ...base, plane: 'decide' }, env);
    expect(refused.problems).toHaveLength(1);
    expect(refused.problems[0]).toMatch(
      /its environment has RIPCORD_SECRET_DEPLOY_HOOK_HMAC, RIPCORD_SECRET_PROMETHEUS_TOKEN: .*--allow-secret DEPLOY_HOOK_HMAC/,
    );
    const allowed = checkPlane({ plane: 'decide', allowSecret: ['prometheus-token'] }, env);
    expect(allowed.problems[0]).toMatch(/has RIPCORD_SECRET_DEPLOY_HOOK_HMAC: /);
    expect(
      checkPlane({ plane: 'decide', allowSecret: ['PROMETHEUS_TOKEN', 'DEPLOY_HOOK_HMAC'] }, env).problems,
    ).toEqual([]);
  });

  test('a decide plane runs no step: --dry-run belongs to the execute plane', () => {
    expect(checkPlane({ ...base, plane: 'decide', dryRun: true }, {}).problems[0]).toMatch(
      /--dry-run belongs/,
    );
  });

  test('an execute plane needs one valid environment and its targets', () => {
    expect(checkPlane({ ...base, plane: 'execute' }, {}).problems).toEqual([
      '--plane execute serves one environment: give it with --environment <name>',
      '--plane execute needs to know where production is: --targets <file> (or --dry-run to record steps)',
    ]);
    expect(checkPlane({ ...base, plane: 'execute', environment: 'Prod East' }, {}).problems[0]).toMatch(
      /^--environment must be lowercase/,
    );
    expect(
      checkPlane({ ...base, plane: 'execute', environment: 'production', targets: 't.yaml' }, {}),
    ).toEqual({ plane: 'execute', environment: 'production', problems: [] });
  });

  test('flags that belong to another plane, and an unknown plane, are usage errors', () => {
    expect(checkPlane({ ...base, plane: 'both' }, {}).problems).toEqual([
      '--plane must be all, decide, execute, got "both"',
    ]);
    expect(checkPlane({ ...base, environment: 'production' }, {}).problems[0]).toMatch(/--plane execute/);
    expect(checkPlane({ plane: 'all', allowSecret: ['X'] }, {}).problems[0]).toMatch(
      /--allow-secret goes with/,
    );
  });
});
