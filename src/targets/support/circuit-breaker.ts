import CircuitBreaker from 'opossum';
import { PermanentStepError, StepVerificationError } from '../errors';

/**
 * One circuit breaker per outside endpoint (scheme, host and port), shared by
 * every guardian in the worker. When a flag server or a deploy system is down,
 * the first few calls fail slowly (timeouts); after that every guardian that
 * needs the same endpoint fails at once with a retryable error instead of each
 * one waiting out its own timeouts. After `resetTimeoutMs` one trial call is let
 * through (half-open): success closes the circuit, failure opens it again.
 *
 * Only the endpoint's own failures count: a network error, a timeout, an HTTP
 * 5xx/408/429. An answer that says no (404, 401, a verification mismatch) comes
 * from a healthy endpoint, and a call cancelled by its caller says nothing about
 * the endpoint at all.
 */

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Share of failed calls in the window that opens the circuit. Default 50 (%). */
  failureThresholdPercent?: number;
  /** Calls in the window before the share is judged at all; a single failure never opens it. Default 5. */
  minimumCalls?: number;
  /** The rolling window the share is taken over. Default 60 s. */
  windowMs?: number;
  /** How long an open circuit fails fast before one trial call. Default 30 s. */
  resetTimeoutMs?: number;
}

/** The state of one endpoint's circuit, for tests, logs and metrics. */
export interface CircuitSnapshot {
  /** The endpoint's origin (`https://flags.example.com`): never a path, query or credentials. */
  endpoint: string;
  state: CircuitState;
  /** In the current window: calls made (also those refused while open), failures counted, calls refused. */
  calls: number;
  failures: number;
  rejected: number;
  /** While open: when the next trial call is allowed (ISO time). */
  retryAt?: string;
}

/**
 * The circuit of an endpoint is open: the call was not made. Retryable (the
 * activity's retry policy tries again later); the message names the endpoint's
 * origin only and says when the next trial call is allowed.
 */
export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError';
  constructor(
    readonly endpoint: string,
    readonly retryAt: Date,
    now: number,
  ) {
    const seconds = Math.max(0, Math.ceil((retryAt.getTime() - now) / 1000));
    super(
      `calls to ${endpoint} are suspended after repeated failures (circuit open); ` +
        `next trial call after ${retryAt.toISOString()} (in ${seconds} s)`,
    );
  }
}

/** Marks a failure as the endpoint's own (unreachable, timed out, 5xx): it counts towards opening the circuit. */
export class EndpointUnavailableError extends Error {
  override readonly name = 'EndpointUnavailableError';
}

/** The endpoint of a URL as circuits are keyed and errors name it: the origin only. */
export function endpointOf(url: string | URL): string {
  try {
    const origin = new URL(url).origin;
    if (origin === 'null') throw new Error('no origin');
    return origin;
  } catch {
    throw new PermanentStepError('not an absolute http(s) URL: no endpoint to call');
  }
}

type Call = () => Promise<unknown>;

const DEFAULTS: Required<CircuitBreakerOptions> = {
  failureThresholdPercent: 50,
  minimumCalls: 5,
  windowMs: 60_000,
  resetTimeoutMs: 30_000,
};

/** Errors that say the endpoint answered (or the caller gave up): they never open a circuit. */
function isEndpointHealthyAnswer(error: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted) return true;
  return error instanceof PermanentStepError || error instanceof StepVerificationError;
}

export class CircuitBreakers {
  private readonly options: Required<CircuitBreakerOptions>;
  private readonly circuits = new Map<string, CircuitBreaker<[Call, AbortSignal | undefined]>>();
  private readonly openedAt = new Map<string, number>();
  private readonly listeners = new Set<(endpoint: string, state: CircuitState) => void>();

  constructor(options: CircuitBreakerOptions = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  /**
   * Runs `call` through the circuit of `url`'s endpoint. Throws CircuitOpenError
   * without calling when the circuit is open; otherwise returns or throws what
   * `call` does. Pass the caller's signal so that a cancelled call is not held
   * against the endpoint.
   */
  async call<T>(url: string | URL, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const endpoint = endpointOf(url);
    const circuit = this.circuit(endpoint);
    try {
      return (await circuit.fire(call, signal)) as T;
    } catch (error) {
      if (CircuitBreaker.isOurError(error as Error) && (error as { code?: string }).code === 'EOPENBREAKER') {
        throw new CircuitOpenError(endpoint, this.retryAt(endpoint), Date.now());
      }
      throw error;
    }
  }

  state(url: string | URL): CircuitState {
    const circuit = this.circuits.get(endpointOf(url));
    if (circuit === undefined) return 'closed';
    return stateOf(circuit);
  }

  /** Every endpoint called so far, with its state and the counts of the current window. */
  snapshot(): CircuitSnapshot[] {
    return [...this.circuits.entries()].map(([endpoint, circuit]) => {
      const stats = circuit.stats;
      const state = stateOf(circuit);
      return {
        endpoint,
        state,
        calls: stats.fires,
        failures: stats.failures,
        rejected: stats.rejects,
        ...(state === 'open' ? { retryAt: this.retryAt(endpoint).toISOString() } : {}),
      };
    });
  }

  /** Called on every change of any circuit (for metrics and logs); returns a function that unsubscribes. */
  onStateChange(listener: (endpoint: string, state: CircuitState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops every circuit's timers (a worker shutting down, the end of a test). */
  shutdown(): void {
    for (const circuit of this.circuits.values()) circuit.shutdown();
    this.circuits.clear();
    this.openedAt.clear();
  }

  private retryAt(endpoint: string): Date {
    const opened = this.openedAt.get(endpoint) ?? Date.now();
    return new Date(opened + this.options.resetTimeoutMs);
  }

  private circuit(endpoint: string): CircuitBreaker<[Call, AbortSignal | undefined]> {
    const existing = this.circuits.get(endpoint);
    if (existing !== undefined) return existing;
    const circuit = new CircuitBreaker<[Call, AbortSignal | undefined], unknown>((call) => call(), {
      name: endpoint,
      // Every call carries its own timeout and the activity's signal; a second timer here
      // would only race them and leave the request running.
      timeout: false,
      errorThresholdPercentage: this.options.failureThresholdPercent,
      volumeThreshold: this.options.minimumCalls,
      rollingCountTimeout: this.options.windowMs,
      rollingCountBuckets: 10,
      resetTimeout: this.options.resetTimeoutMs,
      enableSnapshots: false,
      // opossum passes the fired arguments after the error (its typings declare only the error).
      errorFilter: ((error: unknown, _call: Call, signal: AbortSignal | undefined) =>
        isEndpointHealthyAnswer(error, signal)) as (error: unknown) => boolean,
    });
    const changed = (state: CircuitState) => {
      for (const listener of this.listeners) listener(endpoint, state);
    };
    circuit.on('open', () => {
      this.openedAt.set(endpoint, Date.now());
      changed('open');
    });
    circuit.on('halfOpen', () => changed('half-open'));
    circuit.on('close', () => {
      this.openedAt.delete(endpoint);
      changed('closed');
    });
    this.circuits.set(endpoint, circuit);
    return circuit;
  }
}

function stateOf(circuit: { halfOpen: boolean; opened: boolean }): CircuitState {
  if (circuit.halfOpen) return 'half-open';
  return circuit.opened ? 'open' : 'closed';
}

let shared: CircuitBreakers | undefined;

/**
 * The worker's circuits: every target built without its own CircuitBreakers
 * uses these, so all guardians in the process see the same endpoint states.
 */
export function sharedCircuitBreakers(): CircuitBreakers {
  shared ??= new CircuitBreakers();
  return shared;
}
