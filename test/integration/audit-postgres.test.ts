import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { initAuditSchema, PostgresAuditSink, recordAudit } from '../../src/activities/audit';
import type { AuditRecord } from '../../src/model/audit';
import { runCli } from '../harness/cli';

/**
 * The audit trail in the machine's PostgreSQL (127.0.0.1:5432, trust): a
 * database of this test's own, records written by the audit activity through
 * several sinks at once, then tampered with by a superuser (who can switch the
 * append-only triggers off) and found out by `ripcord audit verify --db`.
 */
const ADMIN = 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `ripcord_audit_${randomUUID().slice(0, 8)}`;
const url = `postgres://postgres@127.0.0.1:5432/${database}`;

const sinks: PostgresAuditSink[] = [];

function record(n: number, deploymentId = 'build-481'): AuditRecord {
  const common = {
    id: `ripcord/production/checkout/${deploymentId}#${n}`,
    at: new Date(Date.UTC(2026, 2, 1, 12, 0, n)).toISOString(),
    workflowId: `ripcord/production/checkout/${deploymentId}`,
    deploymentId,
    service: 'checkout',
    environment: 'production',
    policyHash: `sha256:${'1'.repeat(64)}`,
    actor: 'ripcord',
    summary: `event ${n}`,
  };
  if (n === 0)
    return { ...common, kind: 'admitted', details: { version: '2.0.0', mode: 'auto', superseded: [] } };
  return {
    ...common,
    kind: 'decision',
    details: {
      decision: 'rollback',
      source: 'automatic',
      cause: 'regression',
      reason: `event ${n}`,
      decidedAtIndex: n,
      evidence: [],
    },
  };
}

async function sql<T extends object = Record<string, unknown>>(
  query: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new PgClient({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(query, params)).rows;
  } finally {
    await client.end();
  }
}

/** As a superuser with the append-only triggers off: what an attacker with the database's keys could do. */
async function tamper(statement: string): Promise<void> {
  await sql(
    `ALTER TABLE ripcord_audit DISABLE TRIGGER USER; ${statement}; ALTER TABLE ripcord_audit ENABLE TRIGGER USER`,
  );
}

const verify = () => runCli(['audit', 'verify', '--db', url]);

beforeAll(async () => {
  const admin = new PgClient({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  // The worker never creates the table: `ripcord audit init-db` does, as its owner.
  await initAuditSchema(url);
});

afterAll(async () => {
  await Promise.all(sinks.map((s) => s.close()));
  const admin = new PgClient({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
});

test('records from several workers form one chain; retries store once; the table refuses rewrites', async () => {
  const a = new PostgresAuditSink(url);
  const b = new PostgresAuditSink(url);
  sinks.push(a, b);
  const storeA = recordAudit(a);
  const storeB = recordAudit(b);
  // Both "workers" write every record, concurrently: each is stored once, in one unbroken chain.
  await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].flatMap((n) => [storeA(record(n)), storeB(record(n))]));
  await storeA(record(0, 'build-482'));

  const rows = await sql<{ seq: string; record_key: string }>(
    'SELECT seq, record_key FROM ripcord_audit ORDER BY seq',
  );
  expect(rows.map((r) => Number(r.seq))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  expect(new Set(rows.map((r) => r.record_key)).size).toBe(9);

  const ok = verify();
  expect(ok.stderr).toBe('');
  expect(ok.code).toBe(0);
  expect(ok.stdout).toMatch(
    /^audit trail postgres:\/\/127\.0\.0\.1:5432\/\S+ \(table ripcord_audit\): 9 records verified; head seq 8 /,
  );

  await expect(sql(`UPDATE ripcord_audit SET entry = entry WHERE seq = 1`)).rejects.toThrow(/append-only/);
  await expect(sql(`DELETE FROM ripcord_audit WHERE seq = 1`)).rejects.toThrow(/append-only/);
  await expect(sql(`TRUNCATE ripcord_audit`)).rejects.toThrow(/append-only/);

  const shown = runCli(['audit', 'show', 'build-482', '--db', url]);
  expect(shown.code).toBe(0);
  expect(shown.stdout).toContain('chain: all 9 records verified');
  expect(shown.stdout).toMatch(/^8 +2026-03-01T12:00:00.000Z +admitted +ripcord +event 0$/m);
});

test('one byte changed, one record removed, two swapped: verify exits 1 naming the record', async () => {
  // Concurrent writers decide which record lands at seq 3: change a byte whatever it holds.
  await tamper(`UPDATE ripcord_audit SET entry = replace(entry, 'event ', 'EVENT ') WHERE seq = 3`);
  let result = verify();
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(
    'first bad record at row seq=3 (seq 3, id ripcord/production/checkout/build-481#',
  );
  expect(result.stderr).toContain('its content does not match its hash');
  await tamper(`UPDATE ripcord_audit SET entry = replace(entry, 'EVENT ', 'event ') WHERE seq = 3`);
  expect(verify().code).toBe(0);

  // Swap two rows' contents (the seq column stays, the records move).
  await tamper(`
    UPDATE ripcord_audit SET seq = -1 WHERE seq = 5;
    UPDATE ripcord_audit SET seq = 5 WHERE seq = 6;
    UPDATE ripcord_audit SET seq = 6 WHERE seq = -1`);
  result = verify();
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('first bad record at row seq=5 (seq 6,');
  expect(result.stderr).toContain('is stored at seq 5 but says seq 6');
  await tamper(`
    UPDATE ripcord_audit SET seq = -1 WHERE seq = 5;
    UPDATE ripcord_audit SET seq = 5 WHERE seq = 6;
    UPDATE ripcord_audit SET seq = 6 WHERE seq = -1`);
  expect(verify().code).toBe(0);

  await tamper(`DELETE FROM ripcord_audit WHERE seq = 2`);
  result = verify();
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('first bad record at row seq=3 (seq 3,');
  expect(result.stderr).toContain('has seq 3 where seq 2 was expected');
});
