import type { LogEntry } from '@temporalio/worker';
import { conciseLogFormatter, grpcReason, RETRY_LINE_EVERY_MS } from '../../../src/worker/runtime';

/**
 * Issue 17: while Temporal is down the worker says so in one line per round of
 * retries, not in the SDK's multi-line Rust dumps (one per poller per retry).
 */

const STATUS_DUMP =
  'Status { code: Unavailable, message: "tcp connect error", source: Some(tonic::transport::Error(Transport, ' +
  'ConnectError(ConnectError("tcp connect error", 127.0.0.1:7233, Os { code: 111, kind: ConnectionRefused, ' +
  'message: "Connection refused" })))) }';

const T0 = 1_800_000_000_000;

function retried(poller: string, times: number, atMs: number, error = STATUS_DUMP): LogEntry {
  return {
    level: 'WARN',
    message: `gRPC call ${poller} retried ${times} times`,
    meta: { sdkComponent: 'core', target: 'temporalio_client::retry', spanContexts: undefined, error },
    timestampNanos: BigInt(atMs) * 1_000_000n,
  } as LogEntry;
}

describe('the worker log while Temporal is down', () => {
  it('turns a tonic status dump into a short reason', () => {
    expect(grpcReason(STATUS_DUMP)).toBe('Unavailable: tcp connect error, ConnectionRefused');
    expect(grpcReason(new Error('plain failure\nsecond line'))).toBe('plain failure second line');
  });

  it('prints one line for a round of retries from every poller, then one per round', () => {
    const format = conciseLogFormatter();
    const lines: string[] = [];
    // Ten pollers report within the same second, twice.
    for (const round of [0, 1]) {
      for (let i = 0; i < 10; i++) {
        const poller = i % 2 ? 'poll_activity_task_queue' : 'poll_workflow_task_queue';
        const line = format(retried(poller, 6 + round, T0 + round * RETRY_LINE_EVERY_MS + i * 20));
        if (line !== undefined) lines.push(line);
      }
    }
    expect(lines).toEqual([
      `${new Date(T0).toISOString()} [WARN] Temporal unreachable (Unavailable: tcp connect error, ConnectionRefused): the worker keeps retrying (attempt 6)`,
      `${new Date(T0 + RETRY_LINE_EVERY_MS).toISOString()} [WARN] Temporal unreachable (Unavailable: tcp connect error, ConnectionRefused): the worker keeps retrying (attempt 7)`,
    ]);
    for (const line of lines) expect(line).not.toMatch(/tonic|Status \{|\n/);
  });

  it('says so at once when the reason changes', () => {
    const format = conciseLogFormatter();
    expect(format(retried('poll_workflow_task_queue', 6, T0))).toBeDefined();
    const other = 'Status { code: Unavailable, message: "connection reset" }';
    expect(format(retried('poll_workflow_task_queue', 7, T0 + 10, other))).toContain(
      'Temporal unreachable (Unavailable: connection reset)',
    );
  });

  it('prints any other entry on one line, without the SDK bookkeeping', () => {
    const format = conciseLogFormatter();
    const line = format({
      level: 'ERROR',
      message: 'Worker failed\nwith detail',
      meta: { sdkComponent: 'worker', taskQueue: 'ripcord', error: new Error('boom\n  at x') },
      timestampNanos: BigInt(T0) * 1_000_000n,
    } as LogEntry);
    expect(line).toBe(
      `${new Date(T0).toISOString()} [ERROR] Worker failed with detail (taskQueue=ripcord; error=boom at x)`,
    );
  });
});
