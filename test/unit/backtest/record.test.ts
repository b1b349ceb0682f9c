import {
  alignPoints,
  clampErrors,
  histogramSeries,
  intervalEnds,
  RecordError,
} from '../../../src/backtest/record';
import { parseRangeMatrix, RangeQueryError } from '../../../src/suggest/prometheus-range';

/** The pure parts of `scenario record`: which moments, which values, which buckets. */

test('one evaluation per whole interval of the window, at its end', () => {
  expect(intervalEnds(1000, 1030, 10)).toEqual([1010, 1020, 1030]);
  expect(intervalEnds(1000, 1035, 10)).toEqual([1010, 1020, 1030]);
  expect(intervalEnds(1000, 1005, 10)).toEqual([]);
});

test('a moment without a sample is no data, never zero', () => {
  const points = [
    { t: 1010, value: 5 },
    { t: 1030.0004, value: 7 },
  ];
  expect(alignPoints(points, [1010, 1020, 1030])).toEqual([5, null, 7]);
});

const matrix = (les: Array<[string, number[]]>, t0 = 1010) =>
  les.map(([le, values]) => ({
    metric: { le },
    points: values.map((value, i) => ({ t: t0 + 10 * i, value })),
  }));

test('a histogram: bounds in ms, +Inf left out, only the bounds both groups export', () => {
  const times = [1010, 1020];
  const series = histogramSeries(
    'latency',
    'seconds',
    {
      baseline: matrix([
        ['0.1', [8, 9]],
        ['0.3', [10, 11]],
        ['+Inf', [12, 12]],
      ]),
      canary: matrix([
        ['0.1', [1, 2]],
        ['0.3', [3, 4]],
        ['0.5', [5, 6]],
      ]),
    },
    times,
  );
  expect(series).toEqual({
    latency_le_100: { baseline: [8, 9], canary: [1, 2] },
    latency_le_300: { baseline: [10, 11], canary: [3, 4] },
  });
});

test('a group without buckets has no data; buckets not aggregated by le are refused', () => {
  const series = histogramSeries(
    'latency',
    'milliseconds',
    { baseline: matrix([['50', [1]]]), canary: [] },
    [1010],
  );
  expect(series).toEqual({ latency_le_50: { baseline: [1], canary: [null] } });
  expect(() =>
    histogramSeries(
      'latency',
      'seconds',
      { baseline: [...matrix([['0.1', [1]]]), ...matrix([['0.1', [2]]])], canary: [] },
      [1010],
    ),
  ).toThrow(
    new RecordError(
      'series latency (baseline): le="0.1" appears twice; aggregate the buckets with sum by (le) (...)',
    ),
  );
  expect(() =>
    histogramSeries('latency', 'seconds', { baseline: [{ metric: {}, points: [] }], canary: [] }, [1010]),
  ).toThrow(/has no le label/);
});

test('more errors than requests (increase() extrapolates) are clamped to the requests, and counted', () => {
  const series = {
    requests: { baseline: [100, 100], canary: [100, null] },
    errors: { baseline: [101, 3], canary: [2, 5] },
  };
  expect(clampErrors(series)).toBe(1);
  expect(series.errors).toEqual({ baseline: [100, 3], canary: [2, 5] });
});

test('a matrix answer: every series with its labels, NaN samples left out', () => {
  const body = {
    status: 'success',
    data: {
      resultType: 'matrix',
      result: [
        {
          metric: { le: '0.1' },
          values: [
            [1010, '3'],
            [1020, 'NaN'],
          ],
        },
        { metric: { le: '+Inf' }, values: [[1010, '4']] },
      ],
    },
  };
  expect(parseRangeMatrix(body, 'q')).toEqual([
    { metric: { le: '0.1' }, points: [{ t: 1010, value: 3 }] },
    { metric: { le: '+Inf' }, points: [{ t: 1010, value: 4 }] },
  ]);
  expect(() =>
    parseRangeMatrix({ status: 'success', data: { resultType: 'vector', result: [] } }, 'q'),
  ).toThrow(new RangeQueryError('q: expected a range vector (matrix)'));
});
