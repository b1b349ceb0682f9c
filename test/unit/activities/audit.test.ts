import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { JsonlAuditSink, MemoryAuditSink, recordAudit } from '../../../src/activities/audit';
import type { AuditRecord } from '../../../src/model/audit';
import { failureOf, tempDir } from './helpers';

function record(sequence: number): AuditRecord {
  return {
    id: `ripcord/production/checkout/d-1#${sequence}`,
    at: '2026-01-01T12:00:00.000Z',
    workflowId: 'ripcord/production/checkout/d-1',
    deploymentId: 'd-1',
    service: 'checkout',
    environment: 'production',
    policyHash: `sha256:${'1'.repeat(64)}`,
    kind: 'decision',
    actor: 'ripcord',
    summary: 'error-rate regressed',
    details: {
      decision: 'rollback',
      source: 'automatic',
      cause: 'regression',
      reason: 'error-rate regressed',
      decidedAtIndex: 7,
      evidence: [],
    },
  };
}

/** A record whose details carry fields no kind declares: the sink redacts whatever a record carries. */
function recordWithDetails(sequence: number, details: Record<string, unknown>): AuditRecord {
  return { ...record(sequence), details } as unknown as AuditRecord;
}

describe('recordAudit with the JSONL sink', () => {
  test('writes one JSON object per line, in a new 0600 file in a new directory', async () => {
    const file = path.join(tempDir(), 'state', 'audit.jsonl');
    const store = recordAudit(new JsonlAuditSink(file));
    await store(record(1));
    await store(record(2));
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as AuditRecord).id)).toEqual([record(1).id, record(2).id]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test('the same record id twice (an activity retry) is stored once, also across sink instances', async () => {
    const file = path.join(tempDir(), 'audit.jsonl');
    const first = new JsonlAuditSink(file);
    const second = new JsonlAuditSink(file);
    expect((await first.append(record(1))).outcome).toBe('stored');
    expect((await first.append(record(1))).outcome).toBe('duplicate');
    expect((await second.append(record(1))).outcome).toBe('duplicate');
    expect((await second.append(record(2))).outcome).toBe('stored');
    expect((await first.append(record(2))).outcome).toBe('duplicate');
    const results = await Promise.all([first, second].flatMap((s) => [3, 4].map((n) => s.append(record(n)))));
    expect(results.filter((r) => r.outcome === 'stored')).toHaveLength(2);
    expect((await first.readAll()).map((r) => r.id).sort(bySequence)).toEqual(
      [1, 2, 3, 4].map((n) => record(n).id),
    );
  });

  test('secret-looking values in details are redacted; secret references are kept', async () => {
    const sink = new MemoryAuditSink();
    await recordAudit(sink)(
      recordWithDetails(1, {
        token: 'eyJhbGciOi.secret.sig',
        nested: { apiKey: 'k-123' },
        hmacSecret: '${secret:HOOK}',
        reason: 'ok',
      }),
    );
    expect(sink.records[0]?.details).toEqual({
      token: '[redacted]',
      nested: { apiKey: '[redacted]' },
      hmacSecret: '${secret:HOOK}',
      reason: 'ok',
    });
  });

  test('a record without an id is refused for good', async () => {
    const failure = await failureOf(() => recordAudit(new MemoryAuditSink())({ ...record(1), id: '' }));
    expect(failure.nonRetryable).toBe(true);
  });
});

function bySequence(a: string, b: string): number {
  return Number(a.split('#')[1]) - Number(b.split('#')[1]);
}
