import type { NginxServiceConfig } from '../../../../src/targets/nginx/config';
import {
  expectedVersions,
  interpretUpstream,
  parseUpstreams,
  renderUpstream,
  type UpstreamState,
} from '../../../../src/targets/nginx/upstream';

const canary: NginxServiceConfig = {
  pattern: 'canary',
  baseline: '127.0.0.1:8081',
  canary: '127.0.0.1:8082',
};
const blueGreen: NginxServiceConfig = { pattern: 'blue-green', blue: '10.0.0.1:80', green: '10.0.0.2:80' };

describe('upstream file: render', () => {
  test.each([
    [25, ['server 127.0.0.1:8081 weight=75;', 'server 127.0.0.1:8082 weight=25;']],
    [10, ['server 127.0.0.1:8081 weight=90;', 'server 127.0.0.1:8082 weight=10;']],
    [0, ['server 127.0.0.1:8081 weight=100;', 'server 127.0.0.1:8082 weight=1 down;']],
    [100, ['server 127.0.0.1:8081 weight=1 down;', 'server 127.0.0.1:8082 weight=100;']],
  ])('canary weight %i%% gives the baseline the rest; a side without traffic is down', (weight, lines) => {
    const text = renderUpstream('checkout', canary, { pattern: 'canary', canaryWeight: weight });
    expect(text).toContain('upstream checkout {');
    for (const line of lines) expect(text).toContain(line);
  });

  test('blue-green lists both colours, the one not live as down', () => {
    const text = renderUpstream('pay', blueGreen, { pattern: 'blue-green', live: 'blue' });
    expect(text).toContain('server 10.0.0.1:80 weight=100;');
    expect(text).toContain('server 10.0.0.2:80 weight=1 down;');
  });

  test.each([-1, 101, 12.5, Number.NaN])('weight %p is refused', (weight) => {
    expect(() => renderUpstream('checkout', canary, { pattern: 'canary', canaryWeight: weight })).toThrow(
      /whole percentage/,
    );
  });

  test('a state of the other pattern is refused', () => {
    expect(() => renderUpstream('checkout', canary, { pattern: 'blue-green', live: 'blue' })).toThrow();
  });
});

describe('upstream file: read back', () => {
  const states: UpstreamState[] = [
    ...[0, 1, 10, 25, 50, 99, 100].map((w): UpstreamState => ({ pattern: 'canary', canaryWeight: w })),
  ];
  test.each(states)('a rendered state reads back as itself: %p', (state) => {
    const text = renderUpstream('checkout', canary, state);
    expect(interpretUpstream(text, 'checkout', canary)).toEqual({ state, problems: [] });
  });

  test.each(['blue', 'green'] as const)('live colour %s reads back', (live) => {
    const text = renderUpstream('pay', blueGreen, { pattern: 'blue-green', live });
    expect(interpretUpstream(text, 'pay', blueGreen)).toEqual({
      state: { pattern: 'blue-green', live },
      problems: [],
    });
  });

  test('a hand-written file is read by its directives, not its comments', () => {
    const text = [
      '# canary weight 0%   <- a stale comment',
      'upstream other { server 127.0.0.1:9 weight=5; }',
      'upstream checkout {',
      '  keepalive 16;',
      '  server 127.0.0.1:8081 weight=3 max_fails=2;  # baseline',
      '  server 127.0.0.1:8082;                       # canary, weight 1 by default',
      '}',
    ].join('\n');
    expect(parseUpstreams(text).map((u) => u.name)).toEqual(['other', 'checkout']);
    expect(interpretUpstream(text, 'checkout', canary)).toEqual({
      state: { pattern: 'canary', canaryWeight: 25 },
      problems: [],
    });
  });

  test('a backup server takes no share of normal traffic', () => {
    const text = 'upstream checkout { server 127.0.0.1:8081; server 127.0.0.1:8082 backup; }';
    expect(interpretUpstream(text, 'checkout', canary).state).toEqual({ pattern: 'canary', canaryWeight: 0 });
  });

  test.each([
    ['no block', 'upstream other { server 127.0.0.1:8081; }', /no "upstream checkout" block/],
    [
      'two blocks',
      'upstream checkout { server 127.0.0.1:8081; } upstream checkout { server 127.0.0.1:8081; }',
      /2 "upstream checkout" blocks/,
    ],
    [
      'a stranger',
      'upstream checkout { server 127.0.0.1:8081; server 10.9.9.9:80; }',
      /10\.9\.9\.9:80 is not one of baseline\/canary/,
    ],
    ['all down', 'upstream checkout { server 127.0.0.1:8081 down; }', /no server takes traffic/],
  ])('%s is a problem, named', (_name, text, problem) => {
    const read = interpretUpstream(text, 'checkout', canary);
    expect(read.problems.join('; ')).toMatch(problem);
  });

  test('blue-green with both colours live is not a state', () => {
    const read = interpretUpstream(
      'upstream pay { server 10.0.0.1:80; server 10.0.0.2:80; }',
      'pay',
      blueGreen,
    );
    expect(read).toEqual({ problems: ['both colours take traffic'] });
  });
});

describe('which versions a probe may see', () => {
  const versions = { version: '2.0.0', previousVersion: '1.9.0' };
  test.each([
    [{ pattern: 'canary', canaryWeight: 0 }, 'previous', ['1.9.0']],
    [{ pattern: 'canary', canaryWeight: 30 }, 'previous', ['1.9.0', '2.0.0']],
    [{ pattern: 'canary', canaryWeight: 100 }, 'previous', ['2.0.0']],
    [{ pattern: 'blue-green', live: 'blue' }, 'previous', ['1.9.0']],
    [{ pattern: 'blue-green', live: 'green' }, 'either', ['1.9.0', '2.0.0']],
  ] as const)('%p (live colour runs %s) → %p', (state, runs, expected) => {
    expect(expectedVersions(state, versions, runs)).toEqual(expected);
  });
});
