import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemoryAuditSink, recordAudit } from '../../../src/activities/audit';
import type { AuditCommon, AuditRecord } from '../../../src/model/audit';
import {
  type Chained,
  chainRecord,
  describeChainFailure,
  type StoredEntry,
  verifyChain,
} from '../../../src/security/audit-chain';
import {
  type AuditSigner,
  loadAuditSigner,
  loadAuditVerifier,
  writeAuditKey,
} from '../../../src/security/audit-signing';
import { runCli } from '../../harness/cli';

/**
 * The signed audit trail: what an attacker who can write the store but does
 * not hold the worker's audit key can do to it, and what verification says.
 */

type Stored = Chained<AuditRecord>;

function record(
  n: number,
  overrides: Partial<AuditCommon> & { details?: Record<string, unknown> } = {},
): AuditRecord {
  const common = {
    id: `ripcord/production/checkout/build-481#${n}`,
    at: `2026-03-01T12:00:0${n}.000Z`,
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
  // Overridden details may carry what no kind declares: the sink signs (and redacts) whatever a record carries.
  return { ...typed, ...overrides } as unknown as AuditRecord;
}

const dir = mkdtempSync(path.join(tmpdir(), 'ripcord-audit-key-'));
let auditKey: { signer: AuditSigner; publicKeyFile: string; privateKeyFile: string };
let otherKey: { signer: AuditSigner; publicKeyFile: string };

beforeAll(async () => {
  const a = await writeAuditKey(dir, 'audit-1');
  const b = await writeAuditKey(dir, 'other');
  auditKey = { signer: loadAuditSigner(a.privateKeyFile), ...a };
  otherKey = { signer: loadAuditSigner(b.privateKeyFile), publicKeyFile: b.publicKeyFile };
});

/** A trail of `count` records written by the worker, signed with the audit key. */
function signedTrail(count: number): Stored[] {
  const out: Stored[] = [];
  for (let n = 0; n < count; n++) out.push(chainRecord(record(n), out.at(-1), auditKey.signer));
  return out;
}

const entries = (records: object[]): StoredEntry[] =>
  records.map((r, i) => ({ where: `line ${i + 1}`, text: JSON.stringify(r) }));

/** Re-chains records from `from` on, as an attacker without the key would: hashes right, signatures not. */
function rechain(records: Stored[], from: number, signer?: AuditSigner): Stored[] {
  const out = records.slice(0, from);
  for (const r of records.slice(from)) {
    const { seq: _s, prevHash: _p, hash: _h, sig: _g, ...fields } = r;
    out.push(chainRecord(fields as AuditRecord, out.at(-1), signer));
  }
  return out;
}

function verdictOf(records: object[]): string {
  const verdict = verifyChain(entries(records), { verifier: loadAuditVerifier(auditKey.publicKeyFile) });
  return verdict.ok ? `ok ${verdict.count}` : describeChainFailure(verdict);
}

describe('keys', () => {
  test('keygen writes a private JWK (0600) and a public JWK; the worker loads the private one', () => {
    expect(statSync(auditKey.privateKeyFile).mode & 0o777).toBe(0o600);
    expect(path.basename(auditKey.privateKeyFile)).toBe('audit-1.private.jwk.json');
    expect(path.basename(auditKey.publicKeyFile)).toBe('audit-1.public.jwk.json');
    expect(JSON.parse(readFileSync(auditKey.publicKeyFile, 'utf8'))).not.toHaveProperty('d');
    expect(auditKey.signer.kid).toBe('audit-1');
  });

  test('a missing key, a public key given as the private one, or a private key given to verify: refused, naming the file', () => {
    expect(() => loadAuditSigner(path.join(dir, 'nope.json'))).toThrow(
      /cannot read audit key .*nope\.json: ENOENT/,
    );
    expect(() => loadAuditSigner(auditKey.publicKeyFile)).toThrow(/is a public key/);
    expect(() => loadAuditVerifier(auditKey.privateKeyFile)).toThrow(/private key/);
  });

  test('a worker whose audit key cannot be read refuses to start, naming the flag (or the variable behind it)', () => {
    const missing = runCli(['worker', '--audit-key', path.join(dir, 'missing.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^ripcord: --audit-key: cannot read audit key \S+missing\.json: ENOENT\n$/,
    );
    const publicOnly = runCli(['worker'], { env: { RIPCORD_AUDIT_KEY: auditKey.publicKeyFile } });
    expect(publicOnly.code).toBe(1);
    expect(publicOnly.stderr).toContain('--audit-key: audit key');
    expect(publicOnly.stderr).toContain('is a public key; the worker needs the private key');
  });

  test('errors never contain the private key', () => {
    const jwk = JSON.parse(readFileSync(auditKey.privateKeyFile, 'utf8')) as { d: string };
    const broken = path.join(dir, 'broken.private.jwk.json');
    writeFileSync(broken, JSON.stringify({ ...jwk, d: `${jwk.d.slice(0, 30)}!` }));
    const messages: string[] = [];
    for (const load of [() => loadAuditVerifier(auditKey.privateKeyFile), () => loadAuditSigner(broken)]) {
      try {
        load();
        messages.push('loaded');
      } catch (err) {
        messages.push((err as Error).message);
      }
    }
    expect(messages[1]).toMatch(/broken\.private\.jwk\.json is not a usable Ed25519 private key$/);
    expect(messages.join('\n')).not.toContain(jwk.d.slice(0, 30));
  });
});

describe('tampering with a signed trail (an attacker who can write the store, without the audit key)', () => {
  const cases: Array<{ name: string; tamper: (trail: Stored[]) => object[]; expected: RegExp }> = [
    {
      name: 'the untouched signed trail',
      tamper: (t) => t,
      expected: /^ok 5$/,
    },
    {
      name: 'a forged append, correctly chained, unsigned',
      tamper: (t) => [...t, chainRecord(record(5, { summary: 'eve approved plan sha256:forged' }), t.at(-1))],
      expected: /^first bad record at line 6 \(seq 5, id \S+#5\): not signed$/,
    },
    {
      name: 'a forged append, correctly chained, signed with another key',
      tamper: (t) => [...t, chainRecord(record(5, { actor: 'eve' }), t.at(-1), otherKey.signer)],
      expected: /^first bad record at line 6 \(seq 5, .*\): signed by unknown key "other"$/,
    },
    {
      name: 'a forged append claiming the trusted kid, signed with another key',
      tamper: (t) => {
        const forged = chainRecord(record(5, { actor: 'eve' }), t.at(-1), otherKey.signer);
        return [...t, { ...forged, sig: { ...forged.sig!, kid: 'audit-1' } }];
      },
      expected:
        /^first bad record at line 6 \(seq 5, .*\): signature does not verify \(edited, or forged by someone without the audit key/,
    },
    {
      name: 'an edit with the rest of the chain recomputed',
      tamper: (t) => {
        const edited = t.map((r, i) => (i === 2 ? { ...r, actor: 'mallory' } : r));
        return rechain(edited, 2);
      },
      expected: /^first bad record at line 3 \(seq 2, .*\): not signed$/,
    },
    {
      name: 'an edit with the rest of the chain recomputed, keeping the old signatures',
      tamper: (t) => {
        const edited = t.map((r, i) => (i === 2 ? { ...r, actor: 'mallory' } : r));
        return rechain(edited, 2).map((r, i) => ({ ...r, sig: t[i]!.sig }));
      },
      expected: /^first bad record at line 3 \(seq 2, .*\): signature does not verify \(edited, or forged/,
    },
    {
      name: 'a deletion with the later records renumbered and rechained',
      tamper: (t) => rechain([...t.slice(0, 1), ...t.slice(2)], 1).map((r, i) => ({ ...r, sig: t[i]!.sig })),
      expected: /^first bad record at line 2 \(seq 1, id \S+#2\): signature does not verify/,
    },
    {
      name: 'a signature moved from one record to another',
      tamper: (t) => t.map((r, i) => (i === 3 ? { ...r, sig: t[4]!.sig } : r)),
      expected: /^first bad record at line 4 \(seq 3, .*\): signature does not verify/,
    },
    {
      name: 'a signature removed',
      tamper: (t) => t.map((r, i) => (i === 1 ? { ...r, sig: undefined } : r)),
      expected: /^first bad record at line 2 \(seq 1, .*\): not signed$/,
    },
    {
      name: 'a signature with another algorithm',
      tamper: (t) => t.map((r, i) => (i === 1 ? { ...r, sig: { ...r.sig!, alg: 'none' } } : r)),
      expected:
        /^first bad record at line 2 \(seq 1, .*\): signed with algorithm "none"; only EdDSA is accepted$/,
    },
  ];

  test.each(cases)('$name', ({ tamper, expected }) => {
    expect(verdictOf(tamper(signedTrail(5)))).toMatch(expected);
  });

  test('without a key the chain alone cannot tell a forged append from a real one (why --key matters)', () => {
    const t = signedTrail(3);
    const forged = [...t, chainRecord(record(3, { actor: 'eve' }), t.at(-1))];
    expect(verifyChain(entries(forged))).toMatchObject({ ok: true, count: 4 });
  });

  test('a JWKS of several keys: records signed by any trusted key verify (rotation)', async () => {
    const jwks = path.join(dir, 'both.jwks.json');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      jwks,
      JSON.stringify({
        keys: [auditKey.publicKeyFile, otherKey.publicKeyFile].map((f) =>
          JSON.parse(readFileSync(f, 'utf8')),
        ),
      }),
    );
    const t = signedTrail(2);
    const rotated = [...t, chainRecord(record(2), t.at(-1), otherKey.signer)];
    expect(verifyChain(entries(rotated), { verifier: loadAuditVerifier(jwks) })).toMatchObject({
      ok: true,
      count: 3,
    });
  });
});

describe('receipts and redaction', () => {
  test('recordAudit returns where the record landed; a retry returns the stored record', async () => {
    const sink = new MemoryAuditSink({ signer: auditKey.signer });
    const store = recordAudit(sink);
    const first = await store(record(0));
    const second = await store(record(1));
    expect(first).toEqual({ seq: 0, hash: sink.chained[0]!.hash });
    expect(second).toEqual({ seq: 1, hash: sink.chained[1]!.hash });
    expect(await store(record(0))).toEqual(first);
    expect(sink.chained).toHaveLength(2);
    expect(verdictOf(sink.chained)).toBe('ok 2');
  });

  test('a token pasted into the summary or any string of details is redacted before it is stored', async () => {
    const jws = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc2lnbmF0dXJl';
    const sink = new MemoryAuditSink();
    await recordAudit(sink)(
      record(0, {
        summary: `approve refused: ${jws}`,
        details: {
          reason: `see Bearer abcdefghijklmnopqrstuvwxyz`,
          list: [`x ${jws}`],
          ref: '${secret:HOOK}',
        },
      }),
    );
    const stored = JSON.stringify(sink.chained[0]);
    expect(stored).not.toContain(jws);
    expect(stored).not.toContain('abcdefghijklmnopqrstuvwxyz');
    expect(sink.records[0]!.summary).toBe('approve refused: [redacted: a signed token (JWS)]');
    expect(sink.records[0]!.details).toEqual({
      reason: 'see [redacted: a bearer token]',
      list: ['x [redacted: a signed token (JWS)]'],
      ref: '${secret:HOOK}',
    });
  });
});
