import type { BehaviourInput, BehaviourPhase, ReleaseFleetService } from '../fleet';

/**
 * The shop the release stories run (`ripcord demo --story release`,
 * `--story release-outage`): checkout calls payments, payments calls
 * db-proxy, a stand-in database proxy outside the release. payments 2.0.0 and
 * checkout 2.0.0 ship together as one release, each as a canary next to its
 * 1.9.0 (policies/demo/release/). Pure data: the fleet runs it, the story
 * turns its faults on, and a unit test replays it through the release judge.
 */

export const SHOP_RELEASE_DIR = 'release';
export const OLD = '1.9.0';
export const NEW = '2.0.0';
export const DB_PROXY_VERSION = '1.0.0';

/** Members in dependency order (what they call first), as release.yaml lists them. */
export const SHOP_MEMBERS = ['payments', 'checkout'] as const;
export type ShopMember = (typeof SHOP_MEMBERS)[number];
export const DB_PROXY = 'db-proxy';

/** Requests per second through nginx to checkout, the shop's front door. */
export const CHECKOUT_LOAD_PER_SECOND = 50;
/**
 * Requests per second through nginx straight to payments (its other callers).
 * With half of checkout 2.0's calls, they give payments 2.0 about 22 requests a
 * second: dozens per 3 s interval, as the policies' minRequestsPerGroup needs.
 */
export const PAYMENTS_LOAD_PER_SECOND = 20;
/** Each member's canary share while the release is watched. */
export const SHOP_CANARY_WEIGHT = 50;

/** Healthy release intervals the story waits before it turns a fault on: the stable versions' own past. */
export const HEALTHY_INTERVALS_BEFORE_FAULT = 5;

type Phase = Omit<BehaviourPhase, 'fromSeconds'>;

const DB_PROXY_GOOD: Phase = { errorRate: 0.001, latency: { medianMs: 4, p99Ms: 15 } };
/** The incident: half the queries are refused, fast (the pool is exhausted). */
const DB_PROXY_OUTAGE: Phase & { name: string } = {
  name: 'outage (half the queries refused)',
  errorRate: 0.5,
  latency: { medianMs: 5, p99Ms: 30 },
};
const PAYMENTS_GOOD: Phase = { errorRate: 0.003, latency: { medianMs: 15, p99Ms: 60 } };
/** payments 2.0.0's regression: its new authorisation path declines one payment in five, as fast. */
const PAYMENTS_REGRESSION: Phase & { name: string } = {
  name: 'new authorisation path (20% of payments fail)',
  errorRate: 0.2,
  latency: PAYMENTS_GOOD.latency,
};
const CHECKOUT_GOOD: Phase = { errorRate: 0.003, latency: { medianMs: 25, p99Ms: 90 } };

function behaviour(name: string, phase: Phase, fault?: Phase & { name: string }): BehaviourInput {
  return { name, phases: [{ fromSeconds: 0, ...phase }], ...(fault ? { fault } : {}) };
}

/** The three services, each version with its behaviour and fault, and who calls whom. */
export function shopServices(): ReleaseFleetService[] {
  return [
    {
      service: DB_PROXY,
      baseline: { version: DB_PROXY_VERSION, behaviour: behaviour('good', DB_PROXY_GOOD, DB_PROXY_OUTAGE) },
    },
    {
      service: 'payments',
      baseline: { version: OLD, behaviour: behaviour('good', PAYMENTS_GOOD) },
      canary: { version: NEW, behaviour: behaviour('good', PAYMENTS_GOOD, PAYMENTS_REGRESSION) },
      calls: DB_PROXY,
    },
    {
      service: 'checkout',
      baseline: { version: OLD, behaviour: behaviour('good', CHECKOUT_GOOD) },
      canary: { version: NEW, behaviour: behaviour('good', CHECKOUT_GOOD) },
      calls: 'payments',
    },
  ];
}

/** Which instance's fault each release story turns on. */
export const SHOP_FAULTS = {
  release: { service: 'payments', role: 'canary' },
  'release-outage': { service: DB_PROXY, role: 'baseline' },
} as const;
