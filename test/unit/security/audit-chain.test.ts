import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JsonlAuditSink, recordAudit } from '../../../src/activities/audit';
import type { AuditRecord } from '../../../src/model/audit';
import { chainRecord, GENESIS_HASH, verifyChain } from '../../../src/security/audit-chain';
import { runCli } from '../../harness/cli';

function record(n: number, deploymentId = 'build-481'): AuditRecord {
  const common = {
    id: `ripcord/production/checkout/${deploymentId}#${n}`,
    at: `2026-03-01T12:00:0${n}.000Z`,
    workflowId: `ripcord/production/checkout/${deploymentId}`,
    deploymentId,
    service: 'checkout',
    environment: 'production',
    policyHash: `sha256:${'1'.repeat(64)}`,
  };
  if (n === 0)
    return {
      ...common,
      kind: 'admitted',
      actor: 'ripcord',
      summary: 'admitted',
      details: { version: '2.0.0', mode: 'auto', superseded: [] },
    };
  const reason = `the signature does not verify (${n})`;
  return {
    ...common,
    kind: 'action-denied',
    actor: 'mallory',
    summary: `approve refused: ${reason}`,
    details: { code: 'not-authorized', action: 'approve', role: 'sre', reason },
  };
}

async function trail(count: number): Promise<{ file: string; lines: string[] }> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'ripcord-audit-')), 'audit.jsonl');
  const store = recordAudit(new JsonlAuditSink(file));
  for (let n = 0; n < count; n++) await store(record(n));
  return { file, lines: readFileSync(file, 'utf8').trim().split('\n') };
}

function rewrite(file: string, lines: string[]): void {
  writeFileSync(file, `${lines.join('\n')}\n`);
}

describe('the chain', () => {
  test('each record carries seq, the previous hash and its own hash; the first starts at the genesis hash', () => {
    const first = chainRecord(record(0), undefined);
    const second = chainRecord(record(1), first);
    expect(first).toMatchObject({ seq: 0, prevHash: GENESIS_HASH });
    expect(second).toMatchObject({ seq: 1, prevHash: first.hash });
    expect(first.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(verifyChain([first, second].map((r, i) => ({ where: `#${i}`, text: JSON.stringify(r) })))).toEqual(
      { ok: true, count: 2, head: { seq: 1, hash: second.hash } },
    );
  });

  test('a record cannot carry chain fields of its own into the chain', () => {
    const forged = chainRecord(
      { ...record(0), seq: 7, prevHash: 'x', hash: 'y' } as unknown as AuditRecord,
      undefined,
    );
    expect(forged).toMatchObject({ seq: 0, prevHash: GENESIS_HASH });
    expect(forged.hash).not.toBe('y');
  });

  test('a retried append stores once, and two sinks on one file keep one unbroken chain', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ripcord-audit-')), 'audit.jsonl');
    const a = new JsonlAuditSink(file);
    const b = new JsonlAuditSink(file);
    const results = await Promise.all(
      [0, 1, 2, 3, 4, 5].flatMap((n) => [a.append(record(n)), b.append(record(n))]),
    );
    expect(results.filter((r) => r.outcome === 'stored')).toHaveLength(6);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(6);
    expect(verifyChain(lines.map((text, i) => ({ where: `line ${i + 1}`, text })))).toMatchObject({
      ok: true,
      count: 6,
    });
  });
});

describe('ripcord audit verify <file>', () => {
  test('an intact trail: exit 0 with the count and the head', async () => {
    const { file } = await trail(5);
    const result = runCli(['audit', 'verify', file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`^audit trail ${file}: 5 records verified; head seq 4 sha256:[0-9a-f]{64}\\n$`),
    );
  });

  test('one byte changed: exit 1 naming the record', async () => {
    const { file, lines } = await trail(5);
    lines[2] = lines[2]!.replace('(2)', '(3)');
    rewrite(file, lines);
    const result = runCli(['audit', 'verify', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'first bad record at line 3 (seq 2, id ripcord/production/checkout/build-481#2): its content does not match its hash',
    );
  });

  test('one record removed: exit 1 naming the record after the gap', async () => {
    const { file, lines } = await trail(5);
    lines.splice(1, 1);
    rewrite(file, lines);
    const result = runCli(['audit', 'verify', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('first bad record at line 2 (seq 2,');
    expect(result.stderr).toContain('has seq 2 where seq 1 was expected');
  });

  test('the first record removed', async () => {
    const { file, lines } = await trail(3);
    rewrite(file, lines.slice(1));
    const result = runCli(['audit', 'verify', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('first bad record at line 1 (seq 1,');
  });

  test('two records swapped: exit 1 naming the first out of place', async () => {
    const { file, lines } = await trail(5);
    [lines[2], lines[3]] = [lines[3]!, lines[2]!];
    rewrite(file, lines);
    const result = runCli(['audit', 'verify', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('first bad record at line 3 (seq 3,');
    expect(result.stderr).toContain('(2 records before it verified)');
  });

  test('a record edited and rehashed: the next record no longer follows it', async () => {
    const { file, lines } = await trail(4);
    const edited = JSON.parse(lines[1]!) as AuditRecord & { seq: number; prevHash: string; hash: string };
    const { hash: _h, ...rest } = { ...edited, actor: 'nobody' };
    const rehashed = chainRecord(rest, { seq: 0, hash: rest.prevHash });
    lines[1] = JSON.stringify(rehashed);
    rewrite(file, lines);
    const result = runCli(['audit', 'verify', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('first bad record at line 3 (seq 2,');
    expect(result.stderr).toContain("its prevHash is not that record's hash");
  });

  test('a line that is not JSON', async () => {
    const { file, lines } = await trail(3);
    lines[1] = lines[1]!.slice(0, 40);
    rewrite(file, lines);
    const result = runCli(['audit', 'verify', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('first bad record at line 2: not valid JSON');
  });

  test('a missing file is a one-line error', () => {
    const result = runCli(['audit', 'verify', '/nonexistent/audit.jsonl']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('ripcord: cannot read audit file /nonexistent/audit.jsonl: no such file\n');
  });
});

describe('ripcord audit show', () => {
  test("prints one deployment's records, oldest first, with the chain's state", async () => {
    const { file } = await trail(3);
    await recordAudit(new JsonlAuditSink(file))(record(0, 'build-482'));
    const result = runCli(['audit', 'show', 'build-481', '--file', file]);
    expect(result.code).toBe(0);
    const out = result.stdout.split('\n');
    expect(out[0]).toBe(`audit trail for build-481 (ripcord/production/checkout/build-481) from ${file}`);
    expect(out[1]).toBe('chain: all 4 records verified');
    expect(out[2]).toMatch(/^SEQ +AT +KIND +ACTOR +SUMMARY$/);
    expect(out[3]).toMatch(/^0 +2026-03-01T12:00:00.000Z +admitted +ripcord +admitted$/);
    expect(out[4]).toMatch(/^ +version=2\.0\.0 +mode=auto +superseded=\[\]$/);
    expect(out[5]).toMatch(/^1 +\S+ +action-denied +mallory +approve refused/);
    expect(result.stdout).not.toContain('build-482');
  });

  test('a broken chain is shown and the exit code says so', async () => {
    const { file, lines } = await trail(3);
    rewrite(file, [lines[0]!, lines[2]!]);
    const result = runCli(['audit', 'show', 'build-481', '--file', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('chain: DOES NOT VERIFY: first bad record at line 2 (seq 2,');
  });
});
