import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '../../src/dev/ports';
import { runCli } from '../harness/cli';

test('the demo tells the bad-canary story on its own embedded stack: detected, rolled back once, recovered', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ripcord-demo-'));
  try {
    const [port, uiPort] = [await findFreePort(), await findFreePort()];
    const result = runCli([
      'demo',
      '--exit',
      '--port',
      String(port),
      '--ui-port',
      String(uiPort),
      '--db',
      join(dir, 'demo.db'),
      '--state-dir',
      join(dir, 'state'),
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `watch it in the Web UI: http://127.0.0.1:${uiPort}/namespaces/default/workflows/ripcord%2Fproduction%2Fcheckout%2F`,
    );
    expect(result.stdout).toMatch(/verdict regressed at interval \d+/);
    expect(result.stdout).toMatch(/decision rollback \(automatic\): error-rate regressed/);
    expect(result.stdout).toMatch(/step 0 drain-canary: applied once\n\s+step 1 announce: applied once/);
    expect(result.stdout.trim().split('\n').at(-1)).toMatch(
      /^outcome: rolled-back: rolled back to .*error-rate: [\d.]+ within 0\.01/,
    );

    const auditFile = /audit trail: (\S+)/.exec(result.stdout)![1]!;
    const kinds = readFileSync(auditFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { kind: string }).kind);
    expect(kinds).toEqual(['admitted', 'decision', 'plan', 'step', 'step', 'recovery', 'outcome']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
