import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { JsonlAuditSink, PostgresAuditSink, recordAudit } from '../../src/activities/audit';
import type { AuditCommon, AuditRecord } from '../../src/model/audit';
import { canonicalJson } from '../../src/policy/canonical';
import { chainHash } from '../../src/security/audit-chain';
import { loadAuditSigner } from '../../src/security/audit-signing';
import type { GuardianResult } from '../../src/model/guardian';
import { runCli } from '../harness/cli';
import { SecurityStack } from '../harness/security-stack';

/**
 * The audit trail, attacked as someone who can write the store but does not
 * hold the worker's audit key: raw edits of a JSONL file written by the real
 * sink, a forged row inserted by an INSERT-only PostgreSQL role into a table
 * created by `ripcord audit init-db` and written by a SELECT+INSERT worker
 * role, an owner who switches the append-only triggers off, and a tail cut off
 * a trail whose guardians keep their heads in Temporal. Verification is run as
 * an auditor would: `ripcord audit verify --key`.
 */

type Line = AuditRecord & {
  seq: number;
  prevHash: string;
  hash: string;
  sig?: { kid: string; alg: string; value: string };
};

const dir = mkdtempSync(path.join(tmpdir(), 'ripcord-audit-trail-'));
const KID = 'audit-sec';
const privateKey = path.join(dir, 'keys', `${KID}.private.jwk.json`);
const publicKey = path.join(dir, 'keys', `${KID}.public.jwk.json`);

function record(
  n: number,
  overrides: Partial<AuditCommon> & { details?: Record<string, unknown> } = {},
): AuditRecord {
  const common = {
    id: `ripcord/production/checkout/build-481#${n}`,
    at: new Date(Date.UTC(2026, 2, 1, 12, 0, n)).toISOString(),
    workflowId: 'ripcord/production/checkout/build-481',
    deploymentId: 'build-481',
    service: 'checkout',
    environment: 'production',
    policyHash: `sha256:${'1'.repeat(64)}`,
    summary: `event ${n}`,
  };
  const typed: AuditRecord =
    n === 0
      ? {
          ...common,
          kind: 'admitted',
          actor: 'ripcord',
          details: { version: '2.0.0', mode: 'auto', superseded: [] },
        }
      : {
          ...common,
          kind: 'approval',
          actor: 'alice',
          details: {
            verdict: 'approved',
            subject: 'alice',
            role: 'sre',
            planHash: `sha256:${'2'.repeat(64)}`,
          },
        };
  // An attacker's details may carry what no kind declares: the trail stores (and signs) whatever a record carries.
  return { ...typed, ...overrides } as unknown as AuditRecord;
}

/** What an attacker computes: the next link, by the documented rule (sha256 of the canonical JSON without hash and sig). */
function link(fields: AuditRecord, previous: { seq: number; hash: string } | undefined): Line {
  const body = {
    ...fields,
    seq: previous ? previous.seq + 1 : 0,
    prevHash: previous?.hash ?? `sha256:${'0'.repeat(64)}`,
  };
  return { ...body, hash: chainHash(body) };
}

/** Recomputes seq, prevHash and hash from `from` on (keeping whatever sig each line had). */
function rechain(lines: Line[], from: number): Line[] {
  const out = lines.slice(0, from);
  for (const line of lines.slice(from)) {
    const { seq: _s, prevHash: _p, hash: _h, sig, ...fields } = line;
    out.push({ ...link(fields, out.at(-1)), ...(sig ? { sig } : {}) });
  }
  return out;
}

const readLines = (file: string): Line[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
const writeLines = (file: string, lines: Line[]) =>
  writeFileSync(file, lines.map((l) => `${canonicalJson(l)}\n`).join(''));

beforeAll(() => {
  const made = runCli(['audit', 'keygen', '--out', path.join(dir, 'keys'), '--kid', KID]);
  expect(made.stderr).toBe('');
  expect(made.code).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a JSONL trail written by the real sink with the audit key, then edited as a file', () => {
  async function signedTrail(count: number): Promise<string> {
    const file = path.join(mkdtempSync(path.join(dir, 'jsonl-')), 'audit.jsonl');
    const store = recordAudit(new JsonlAuditSink(file, { signer: loadAuditSigner(privateKey) }));
    for (let n = 0; n < count; n++) await store(record(n));
    return file;
  }
  const verify = (file: string) => runCli(['audit', 'verify', file, '--key', publicKey]);

  test('the untouched trail verifies, every record signed', async () => {
    const file = await signedTrail(4);
    const result = verify(file);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /: 4 records verified, every one signed by a trusted audit key \(audit-sec\); head seq 3 sha256:[0-9a-f]{64}\n$/,
    );
  });

  test('a forged record appended with a correct chain hash: verifies without --key, fails with it', async () => {
    const file = await signedTrail(4);
    const forged = link(
      record(4, { actor: 'eve', summary: 'eve approved plan sha256:forged' }),
      readLines(file).at(-1),
    );
    appendFileSync(file, `${canonicalJson(forged)}\n`);
    expect(runCli(['audit', 'verify', file]).code).toBe(0);
    const result = verify(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'first bad record at line 5 (seq 4, id ripcord/production/checkout/build-481#4): not signed',
    );
  });

  test('a record edited and the rest of the chain recomputed', async () => {
    const file = await signedTrail(4);
    const lines = readLines(file);
    lines[1] = { ...lines[1]!, actor: 'mallory' };
    writeLines(file, rechain(lines, 1));
    const result = verify(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'first bad record at line 2 (seq 1, id ripcord/production/checkout/build-481#1): signature does not verify ' +
        '(edited, or forged by someone without the audit key',
    );
  });

  test('a record deleted and the later ones renumbered', async () => {
    const file = await signedTrail(4);
    const lines = readLines(file);
    lines.splice(1, 1);
    writeLines(file, rechain(lines, 1));
    const result = verify(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'first bad record at line 2 (seq 1, id ripcord/production/checkout/build-481#2): signature does not verify',
    );
  });

  test('audit show escapes control characters: a record cannot draw rows or move the cursor', async () => {
    const file = await signedTrail(2);
    await recordAudit(new JsonlAuditSink(file, { signer: loadAuditSigner(privateKey) }))(
      record(2, {
        actor: 'eve\n3  2026-03-01T12:00:03.000Z  approval  alice',
        summary: '\u001b[2J\u001b[Happroved\r',
        details: { note: 'x\u001b]0;title\u0007' },
      }),
    );
    const result = runCli(['audit', 'show', 'build-481', '--file', file, '--key', publicKey]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('chain: all 3 records verified and signed by a trusted audit key');
    // Nothing but newlines ends or moves a line: no ESC, CR, BEL or other control character.
    expect([...result.stdout].filter((c) => c !== '\n' && (c < ' ' || c === '\u007f'))).toEqual([]);
    expect(result.stdout).toContain('eve\\n3  2026-03-01T12:00:03.000Z  approval  alice');
    expect(result.stdout).toContain('\\x1b[2J\\x1b[Happroved\\r');
    expect(result.stdout).toContain('note=x\\x1b]0;title\\x07');
    // Header, chain, column titles, three records each with its details line: nothing more.
    expect(result.stdout.trim().split('\n')).toHaveLength(9);
  });

  test('a token pasted into free text never lands in the trail', async () => {
    const jws = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const file = await signedTrail(1);
    await recordAudit(new JsonlAuditSink(file))(
      record(1, { summary: `abort refused: ${jws}`, details: { reason: `use token ${jws}` } }),
    );
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(jws);
    expect(text).toContain('[redacted: a signed token (JWS)]');
  });
});

describe('PostgreSQL: owner runs init-db, the worker has SELECT and INSERT only, an INSERT-only role forges a row', () => {
  const suffix = randomUUID().slice(0, 8);
  const database = `ripcord_audit_sec_${suffix}`;
  const roles = { owner: `rc_owner_${suffix}`, worker: `rc_worker_${suffix}`, eve: `rc_eve_${suffix}` };
  const as = (role: string) => `postgres://${role}@127.0.0.1:5432/${database}`;
  const ADMIN = 'postgres://postgres@127.0.0.1:5432/postgres';
  const sinks: PostgresAuditSink[] = [];

  async function sql(url: string, query: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    const client = new PgClient({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(query, params)).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    for (const role of Object.values(roles)) await sql(ADMIN, `CREATE ROLE ${role} LOGIN`);
    await sql(ADMIN, `CREATE DATABASE ${database} OWNER ${roles.owner}`);
  });

  afterAll(async () => {
    await Promise.all(sinks.map((s) => s.close().catch(() => undefined)));
    await sql(ADMIN, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    for (const role of Object.values(roles)) await sql(ADMIN, `DROP ROLE IF EXISTS ${role}`);
  });

  test('the whole story', async () => {
    const worker = new PostgresAuditSink(as(roles.worker), { signer: loadAuditSigner(privateKey) });
    sinks.push(worker);
    const store = recordAudit(worker);

    // Before init-db the worker refuses, and never tries to create the table itself.
    await expect(store(record(0))).rejects.toThrow(
      /audit table ripcord_audit does not exist: run `ripcord audit init-db --db <url>` as the table's owner first/,
    );

    const init = runCli(['audit', 'init-db', '--db', as(roles.owner), '--worker-role', roles.worker]);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    const grants = init.stdout.split('\n').filter((l) => l.trim().startsWith('GRANT'));
    expect(grants).toEqual([`  GRANT SELECT, INSERT ON ripcord_audit TO "${roles.worker}";`]);
    for (const grant of grants) await sql(as(roles.owner), grant);
    await sql(as(roles.owner), `GRANT INSERT ON ripcord_audit TO ${roles.eve}`);

    // The worker works with SELECT and INSERT only; a retry gets the stored record's receipt.
    const receipts: Array<{ seq: number; hash: string }> = [];
    for (let n = 0; n < 4; n++) receipts.push((await store(record(n)))!);
    expect(receipts.map((r) => r.seq)).toEqual([0, 1, 2, 3]);
    expect(await store(record(3))).toEqual(receipts[3]);
    await expect(sql(as(roles.worker), 'DELETE FROM ripcord_audit')).rejects.toThrow(/permission denied/);
    await expect(sql(as(roles.worker), 'CREATE TABLE x (y int)')).rejects.toThrow(/permission denied/);
    const verify = (...extra: string[]) => runCli(['audit', 'verify', '--db', as(roles.worker), ...extra]);
    expect(verify('--key', publicKey)).toMatchObject({ code: 0, stderr: '' });

    // Eve may only INSERT: she writes a well-formed row whose chain hash is right.
    const forged = link(record(4, { actor: 'eve', summary: 'eve approved plan sha256:forged' }), receipts[3]);
    await sql(
      as(roles.eve),
      `INSERT INTO ripcord_audit (seq, record_key, workflow_id, deployment_id, at, kind, prev_hash, hash, entry)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        4,
        forged.id,
        forged.workflowId,
        forged.deploymentId,
        forged.at,
        forged.kind,
        forged.prevHash,
        forged.hash,
        canonicalJson(forged),
      ],
    );
    expect(verify().code).toBe(0); // the chain alone cannot tell
    const caught = verify('--key', publicKey);
    expect(caught.code).toBe(1);
    expect(caught.stderr).toContain(
      'first bad record at row seq=4 (seq 4, id ripcord/production/checkout/build-481#4): not signed',
    );
    const shown = runCli(['audit', 'show', 'build-481', '--db', as(roles.worker), '--key', publicKey]);
    expect(shown.code).toBe(1);
    expect(shown.stdout).toContain('chain: DOES NOT VERIFY: first bad record at row seq=4');

    // The owner can switch the triggers off and rewrite; without the key the signatures give it away.
    const rows = (await sql(as(roles.owner), 'SELECT entry FROM ripcord_audit ORDER BY seq')).map(
      (r) => JSON.parse(r.entry as string) as Line,
    );
    rows[1] = { ...rows[1]!, summary: 'event 1 (rewritten)' };
    const rewritten = rechain(rows.slice(0, 4), 1);
    await sql(
      as(roles.owner),
      `ALTER TABLE ripcord_audit DISABLE TRIGGER USER; DELETE FROM ripcord_audit WHERE seq >= 1;
       ALTER TABLE ripcord_audit ENABLE TRIGGER USER`,
    );
    for (const r of rewritten.slice(1)) {
      await sql(
        as(roles.owner),
        `INSERT INTO ripcord_audit (seq, record_key, workflow_id, deployment_id, at, kind, prev_hash, hash, entry)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [r.seq, r.id, r.workflowId, r.deploymentId, r.at, r.kind, r.prevHash, r.hash, canonicalJson(r)],
      );
    }
    expect(verify().code).toBe(0);
    const rewrite = verify('--key', publicKey);
    expect(rewrite.code).toBe(1);
    expect(rewrite.stderr).toContain('first bad record at row seq=1 (seq 1,');
    expect(rewrite.stderr).toContain('signature does not verify');
  });
});

describe('a truncated tail, found against the heads the guardians keep in Temporal', () => {
  const stack = new SecurityStack();

  beforeAll(async () => {
    await stack.start({ name: 'audit-trail', auditKey: privateKey });
  }, 180_000);

  afterAll(() => stack.stop(), 60_000);

  test('verify --temporal passes on the whole trail and names the guardian whose head was cut off', async () => {
    const handle = await stack.guardian(await stack.policy(), { health: 'regression' });
    const result = (await handle.result()) as GuardianResult;
    expect(result.auditHead).toBeDefined();
    const head = result.auditHead!;
    const env = {
      RIPCORD_PROFILE: '',
      TEMPORAL_ADDRESS: stack.server!.address,
      TEMPORAL_NAMESPACE: 'default',
    };
    const verify = () =>
      runCli(['audit', 'verify', stack.auditFile, '--key', publicKey, '--temporal'], { env });

    const whole = verify();
    expect(whole.stderr).toBe('');
    expect(whole.code).toBe(0);
    expect(whole.stdout).toMatch(
      /every one signed by a trusted audit key \(audit-sec\); head seq \d+ sha256:/,
    );
    expect(whole.stdout).toMatch(/guardian heads: [1-9]\d* found in the trail, unchanged/);

    // Cut the trail just before this guardian's last record: every remaining record still verifies.
    const lines = readFileSync(stack.auditFile, 'utf8').trim().split('\n');
    const cut = lines.filter((l) => (JSON.parse(l) as Line).seq < head.seq);
    writeFileSync(stack.auditFile, `${cut.join('\n')}\n`);
    expect(runCli(['audit', 'verify', stack.auditFile, '--key', publicKey]).code).toBe(0);
    const truncated = verify();
    expect(truncated.code).toBe(1);
    expect(truncated.stderr).toContain(
      `guardian ${handle.workflowId}: its last audit record (seq ${head.seq}, ${head.hash}) is missing from the trail, ` +
        `whose head is seq ${head.seq - 1}: the trail was cut or rewritten after seq ${head.seq - 1}`,
    );
  });
});
