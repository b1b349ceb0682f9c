import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '../../src/dev/ports';
import { runCli } from '../harness/cli';

test('the demo runs the story on its own embedded stack and reports the outcome', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ripcord-demo-'));
  try {
    const [port, uiPort] = [await findFreePort(), await findFreePort()];
    const result = runCli([
      'demo',
      '--exit',
      '--watch',
      '4s',
      '--interval',
      '2s',
      '--port',
      String(port),
      '--ui-port',
      String(uiPort),
      '--db',
      join(dir, 'demo.db'),
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `Web UI: http://127.0.0.1:${uiPort}/namespaces/default/workflows/ripcord%2Fdemo%2Fcheckout%2F`,
    );
    expect(result.stdout).toMatch(/phase watch/);
    expect(result.stdout.trim().split('\n').at(-1)).toBe('outcome: promoted');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
