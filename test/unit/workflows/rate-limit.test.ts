import { recentRequests, retryAfterMs } from '../../../src/workflows/rate-limit';

const limit = { requests: 3, windowMs: 600_000 };

describe('manual rollback rate limit', () => {
  test('allows requests until the limit is reached within the window', () => {
    expect(retryAfterMs([], 1_000_000, limit)).toBe(0);
    expect(retryAfterMs([900_000, 950_000], 1_000_000, limit)).toBe(0);
    expect(retryAfterMs([900_000, 950_000, 990_000], 1_000_000, limit)).toBe(500_000);
  });

  test('requests older than the window no longer count', () => {
    expect(recentRequests([100_000, 400_001, 999_000], 1_000_000, limit)).toEqual([400_001, 999_000]);
    expect(retryAfterMs([100_000, 200_000, 999_000], 1_000_000, limit)).toBe(0);
  });

  test('the wait is until the oldest request that must expire leaves the window', () => {
    // Five recent requests (more than the limit, e.g. two accepted at once): the third newest decides.
    const at = [500_000, 600_000, 700_000, 800_000, 900_000];
    expect(retryAfterMs(at, 1_000_000, limit)).toBe(700_000 + 600_000 - 1_000_000);
  });
});
