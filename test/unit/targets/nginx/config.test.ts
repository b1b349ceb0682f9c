import { NginxConfigError, parseNginxTargetConfig } from '../../../../src/targets/nginx';

const valid = {
  type: 'nginx',
  confFile: '/srv/edge/nginx.conf',
  pidFile: '/srv/edge/nginx.pid',
  upstreamsDir: '/srv/edge/upstreams',
  stateDir: '/var/lib/ripcord/nginx',
  services: {
    checkout: {
      pattern: 'canary',
      baseline: '127.0.0.1:8081',
      canary: 'checkout-canary.internal:8082',
      probe: { url: 'http://127.0.0.1:8080/', host: 'checkout' },
    },
    payments: { pattern: 'blue-green', blue: '[::1]:9081', green: '10.0.0.2:9082' },
  },
};

function problemsOf(raw: unknown): string {
  try {
    parseNginxTargetConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(NginxConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('nginx target config', () => {
  test('a valid entry parses, with the documented defaults filled in', () => {
    const config = parseNginxTargetConfig(valid);
    expect(config.pauseScale).toBe(1);
    expect(config.reloadTimeoutSeconds).toBe(10);
    expect(config.services.checkout?.probe).toEqual({
      url: 'http://127.0.0.1:8080/',
      host: 'checkout',
      count: 20,
      timeoutMs: 2000,
      version: { header: 'x-version' },
    });
    // Parsing again changes nothing: code may pass a parsed config where an input is expected.
    expect(parseNginxTargetConfig(config)).toEqual(config);
  });

  test('an address that would smuggle nginx directives in is refused, naming the field', () => {
    const raw = structuredClone(valid);
    raw.services.checkout.canary = '127.0.0.1:8082; include /etc/passwd';
    expect(problemsOf(raw)).toMatch(/services\.checkout\.canary: an address "host:port"/);
  });

  test('every problem is reported at once, each with its field', () => {
    const message = problemsOf({
      ...valid,
      pidFile: undefined,
      pauseScale: -1,
      services: {
        'bad name!': { pattern: 'canary', baseline: '127.0.0.1:1', canary: '127.0.0.1:2' },
        payments: { pattern: 'blue-green', blue: '127.0.0.1:70000', green: '127.0.0.1:9' },
        same: { pattern: 'canary', baseline: '127.0.0.1:1', canary: '127.0.0.1:1' },
        probed: {
          pattern: 'canary',
          baseline: '127.0.0.1:1',
          canary: '127.0.0.1:2',
          probe: { url: 'ftp://x/', version: { bodyPattern: '(' } },
        },
      },
    });
    expect(message).toMatch(/pidFile/);
    expect(message).toMatch(/pauseScale/);
    expect(message).toMatch(/services\.bad name!/);
    expect(message).toMatch(/services\.payments\.blue: the port must be between 1 and 65535/);
    expect(message).toMatch(/services\.same: the two sides of a service need different addresses/);
    expect(message).toMatch(/services\.probed\.probe\.url/);
    expect(message).toMatch(/services\.probed\.probe\.version/);
  });

  test('a service needs its pattern and no stray fields', () => {
    expect(
      problemsOf({ ...valid, services: { a: { baseline: '127.0.0.1:1', canary: '127.0.0.1:2' } } }),
    ).toMatch(/services\.a\.pattern/);
    expect(
      problemsOf({
        ...valid,
        services: { a: { pattern: 'canary', baseline: '127.0.0.1:1', canary: '127.0.0.1:2', weight: 5 } },
      }),
    ).toMatch(/weight/);
  });
});
