import binomialFactory from '@stdlib/random-base-binomial';
import mt19937 from '@stdlib/random-base-mt19937';
import normalFactory from '@stdlib/random-base-normal';
import poissonFactory from '@stdlib/random-base-poisson';

/**
 * One seeded source of randomness for the scenario generator and the tests:
 * every draw comes from a single Mersenne Twister, so a seed reproduces a
 * scenario exactly on any machine.
 */
export interface Random {
  uniform(low?: number, high?: number): number;
  /** Uniform on the log scale: right for rates and traffic levels spanning decades. */
  logUniform(low: number, high: number): number;
  integer(low: number, high: number): number;
  pick<T>(items: readonly T[]): T;
  normal(mean: number, sd: number): number;
  poisson(mean: number): number;
  binomial(trials: number, p: number): number;
}

/** Mixes a seed and a stream number into one 32-bit seed (distinct streams for distinct scenarios). */
export function mixSeed(...parts: number[]): number {
  let h = 2166136261;
  for (const part of parts) {
    let x = Math.floor(Math.abs(part)) >>> 0;
    for (let i = 0; i < 4; i++) {
      h ^= x & 0xff;
      h = Math.imul(h, 16777619) >>> 0;
      x >>>= 8;
    }
  }
  return h === 0 ? 1 : h;
}

export function createRandom(seed: number): Random {
  // The runtime generator also offers `normalized` (53-bit uniforms on [0, 1)); its typings omit it.
  const generator = mt19937.factory({ seed: mixSeed(seed) }) as unknown as { normalized: () => number };
  const uniform01 = generator.normalized;
  const poisson = poissonFactory.factory({ prng: uniform01 });
  const binomial = binomialFactory.factory({ prng: uniform01 });
  const normal = normalFactory.factory({ prng: uniform01 });
  return {
    uniform: (low = 0, high = 1) => low + (high - low) * uniform01(),
    logUniform: (low, high) => Math.exp(Math.log(low) + (Math.log(high) - Math.log(low)) * uniform01()),
    integer: (low, high) => low + Math.floor((high - low + 1) * uniform01()),
    pick: (items) => {
      const item = items[Math.floor(items.length * uniform01())];
      if (item === undefined) throw new Error('pick from an empty list');
      return item;
    },
    normal: (mean, sd) => normal(mean, sd),
    poisson: (mean) => (mean <= 0 ? 0 : poisson(mean)),
    binomial: (trials, p) => (trials <= 0 || p <= 0 ? 0 : p >= 1 ? trials : binomial(trials, p)),
  };
}
