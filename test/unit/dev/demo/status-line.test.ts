import type { LoadCounts } from '../../../../src/dev/fleet';
import { shortNumber, statusLine, trafficByVersion } from '../../../../src/dev/demo/status-line';
import { signal, status } from './helpers';

const load = (byVersion: LoadCounts['byVersion']): LoadCounts => ({
  sent: 0,
  byVersion,
  failures: {},
  skipped: 0,
  inFlight: 0,
});

describe('statusLine', () => {
  test('phase with the bar of its wait, verdict, evaluations, what each version answered, then the evidence', () => {
    const line = statusLine({
      status: status({
        phase: 'confirm',
        evaluations: 14,
        lastVerdict: { index: 13, verdict: 'regressed', reason: 'error-rate: breach' },
        signals: [
          { ...signal('error-rate', 'confirming'), eValue: 31.4 },
          { ...signal('latency-p99', 'watching'), eValue: 0.4237 },
        ],
      }),
      wait: { label: 'confirmation window', elapsedSeconds: 6, totalSeconds: 12 },
      load: load({ '1.9.0': { '200': 1827, '500': 7 }, '2.0.0': { '200': 594, '500': 18 } }),
      versions: ['2.0.0', '1.9.0'],
    });
    expect(line).toBe(
      'confirm [######------] 6s/12s confirmation window | regressed | 14 evaluations | ' +
        '2.0.0: 612 req, 18 err | 1.9.0: 1834 req, 7 err | evidence: error-rate 3.1× needed, latency-p99 4% of needed',
    );
  });

  test('before the first status: only what the load saw', () => {
    expect(
      statusLine({
        status: undefined,
        wait: undefined,
        load: load({ '1.9.0': { '200': 5 } }),
        versions: ['2.0.0', '1.9.0'],
      }),
    ).toBe('starting | 1.9.0: 5 req, 0 err');
  });

  test('a closed guardian shows its outcome instead of its last verdict', () => {
    const line = statusLine({
      status: status({
        phase: 'close',
        evaluations: 1,
        outcome: 'promoted',
        lastVerdict: { index: 0, verdict: 'healthy', reason: '' },
      }),
      wait: undefined,
      versions: [],
    });
    expect(line).toBe('close | promoted | 1 evaluation');
  });
});

describe('trafficByVersion', () => {
  test('the versions named first, in that order, then any other that answered; 5xx count as errors', () => {
    expect(
      trafficByVersion(
        load({ none: { '502': 2 }, '1.9.0': { '200': 10, '404': 1 }, '2.0.0': { '200': 3, '503': 1 } }),
        ['2.0.0', '1.9.0', '3.0.0'],
      ),
    ).toEqual(['2.0.0: 4 req, 1 err', '1.9.0: 11 req, 0 err', 'none: 2 req, 2 err']);
    expect(trafficByVersion(undefined, ['2.0.0'])).toEqual([]);
  });
});

test.each([
  [0.131, '0.13'],
  [0.0052, '0.0052'],
  [3.14, '3.1'],
  [31.4, '31'],
  [154000, '154000'],
  [Infinity, 'Infinity'],
])('shortNumber(%d) is %s', (value, text) => {
  expect(shortNumber(value)).toBe(text);
});
