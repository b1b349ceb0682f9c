import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '../../../src/dev/ports';
import { CliProcess } from '../../harness/cli';

/**
 * Issue 17: a worker started while Temporal is down says so in one line per
 * attempt and keeps trying, instead of exiting with the SDK's Rust dump.
 * Nothing listens on the port; no server runs here.
 */
test('a worker with no Temporal to reach retries, one line per attempt, and stops on Ctrl-C', async () => {
  const port = await findFreePort();
  const worker = new CliProcess(
    ['worker', '--dry-run', '--state-dir', mkdtempSync(join(tmpdir(), 'ripcord-worker-down-'))],
    { TEMPORAL_ADDRESS: `127.0.0.1:${port}`, RIPCORD_PROFILE: '' },
  );
  try {
    const attempts = () => worker.stderr.match(/unreachable/g)?.length ?? 0;
    while (attempts() < 2) {
      if (worker.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const lines = worker.stderr.trim().split('\n');
    const attempt = (n: number, seconds: number) =>
      new RegExp(
        `^ripcord: Temporal at 127\\.0\\.0\\.1:${port} .*unreachable \\(tcp connect error, ConnectionRefused\\); ` +
          `retrying in ${seconds}s \\(attempt ${n}, Ctrl-C to stop\\)$`,
      );
    expect(lines[0]).toMatch(attempt(1, 1));
    expect(lines[1]).toMatch(attempt(2, 2));
    expect(worker.stderr).not.toMatch(/tonic|Os \{/);
    expect(await worker.stop('SIGINT')).toBe(130);
    expect(worker.stderr.trim().split('\n').at(-1)).toBe('ripcord: stopped before Temporal was reachable');
  } finally {
    await worker.stop('SIGKILL');
  }
});
