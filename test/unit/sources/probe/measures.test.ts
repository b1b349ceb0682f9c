import { measure, parseProbeQuery, percentile, type ProbeResult } from '../../../../src/sources/probe';

describe('parseProbeQuery', () => {
  it.each([
    ['requests', { kind: 'requests' }],
    ['errors', { kind: 'errors' }],
    ['success', { kind: 'success' }],
    ['latency_p99_ms', { kind: 'latency', percentile: 99 }],
    ['latency_p50_ms', { kind: 'latency', percentile: 50 }],
    [' latency_p95_ms ', { kind: 'latency', percentile: 95 }],
  ])('reads %s', (query, expected) => {
    expect(parseProbeQuery(query)).toEqual(expected);
  });

  it.each(['latency_p100_ms', 'latency_p0_ms', 'latency_p99', 'sum(rate(x[5m]))', 'Errors', ''])(
    'refuses %s',
    (query) => {
      expect(parseProbeQuery(query)).toBeUndefined();
    },
  );
});

describe('percentile (nearest rank)', () => {
  it.each([
    [[5], 99, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99, 10],
    [[10, 1, 7, 3], 50, 3],
  ])('of %j at p%d is %d', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });

  it('has no value without observations', () => {
    expect(percentile([], 99)).toBeNull();
  });
});

describe('measure', () => {
  const ok = (latencyMs: number): ProbeResult => ({ ok: true, latencyMs });
  const results: ProbeResult[] = [
    ok(10),
    ok(20),
    { ok: false, latencyMs: 30, failure: 'status' },
    { ok: false, latencyMs: 4500, failure: 'timeout' },
    { ok: false, latencyMs: null, failure: 'network' },
  ];

  it('counts probes and failures of every kind', () => {
    expect(measure(results, { kind: 'requests' })).toBe(5);
    expect(measure(results, { kind: 'errors' })).toBe(3);
    expect(measure(results, { kind: 'success' })).toBeCloseTo(0.4);
  });

  it('counts a timeout at the time waited and leaves out probes that got no answer at all', () => {
    expect(measure(results, { kind: 'latency', percentile: 99 })).toBe(4500);
    expect(measure(results, { kind: 'latency', percentile: 50 })).toBe(20);
    const refused: ProbeResult[] = [{ ok: false, latencyMs: null, failure: 'network' }];
    expect(measure(refused, { kind: 'latency', percentile: 99 })).toBeNull();
    expect(measure(refused, { kind: 'errors' })).toBe(1);
  });

  it('has no data for a group that was not probed', () => {
    expect(measure([], { kind: 'requests' })).toBeNull();
    expect(measure([], { kind: 'errors' })).toBeNull();
  });
});
