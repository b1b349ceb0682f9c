import {
  absoluteChanges,
  byStretch,
  ceilToTwoDigits,
  niceCeil,
  niceFloor,
  quantile,
  rangeStep,
  relativeChanges,
  roundUpToStep,
  stretchSeconds,
} from '../../../src/suggest/stats';

describe('suggest statistics', () => {
  test('quantile interpolates between order statistics and ignores non-finite values', () => {
    expect(quantile([3, 1, 2, 4], 0.5)).toBe(2.5);
    expect(quantile([10, 20, NaN, 30], 1)).toBe(30);
    expect(quantile([1, 2, 3, 4, 5], 0.95)).toBeCloseTo(4.8);
    expect(quantile([], 0.5)).toBeNaN();
  });

  test('the range step keeps a window under the point budget, never finer than the interval', () => {
    expect(rangeStep(7 * 86_400, 30)).toBe(Math.ceil((7 * 86_400) / 11_000));
    expect((7 * 86_400) / rangeStep(7 * 86_400, 30)).toBeLessThanOrEqual(11_000);
    expect(rangeStep(600, 5)).toBe(5);
  });

  test('stretches are hours over a day or more, else a twelfth of the window (at least five points)', () => {
    expect(stretchSeconds(7 * 86_400, 55)).toBe(3600);
    expect(stretchSeconds(6 * 3600, 30)).toBe(1800);
    expect(stretchSeconds(600, 30)).toBe(150);
  });

  test('points group by stretch in time order', () => {
    const groups = byStretch([{ t: 130 }, { t: 10 }, { t: 70 }, { t: 20 }], 60);
    expect(groups.map((g) => g.map((p) => p.t))).toEqual([[10, 20], [70], [130]]);
  });

  test('relative and absolute changes between consecutive levels', () => {
    expect(relativeChanges([100, 110, 99])).toEqual([expect.closeTo(0.1), expect.closeTo(0.1)]);
    expect(relativeChanges([0, 5])).toEqual([]); // nothing is a relative change from zero
    expect(absoluteChanges([0.01, 0.012, 0.009])).toEqual([expect.closeTo(0.002), expect.closeTo(0.003)]);
  });

  test('rounding to numbers a person would write', () => {
    expect(niceCeil(0.0013)).toBe(0.002);
    expect(niceCeil(0.0034)).toBe(0.005);
    expect(niceCeil(0.021)).toBe(0.025);
    expect(niceCeil(0)).toBe(0);
    expect(niceFloor(0.0077)).toBe(0.005);
    expect(niceFloor(0.01)).toBe(0.01);
    expect(roundUpToStep(0.1375, 0.05)).toBe(0.15);
    expect(roundUpToStep(0.15, 0.05)).toBe(0.15);
    expect(ceilToTwoDigits(505)).toBe(510);
    expect(ceilToTwoDigits(100)).toBe(100);
    expect(ceilToTwoDigits(1234)).toBe(1300);
  });
});
