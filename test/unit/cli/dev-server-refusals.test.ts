import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '../../../src/dev/ports';
import { runCli } from '../../harness/cli';
import { REPO_ROOT } from './helpers';

/**
 * Issue 17: `ripcord dev server` refuses, before it starts anything, a port
 * that is taken (naming the flag that moves it) and a database file another
 * dev server uses (naming --db). No Temporal server runs here.
 */

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const close = (server: Server) => new Promise((r) => server.close(r));

describe('ripcord dev server refuses to start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ripcord-dev-refusals-'));

  it.each([
    ['the gRPC port', '--port', 'gRPC port'],
    ['the Web UI port', '--ui-port', 'Web UI port'],
  ])('when %s is taken, naming %s', async (_name, flag, what) => {
    const taken = await findFreePort();
    const other = await findFreePort();
    const holder = await listen(taken);
    try {
      const ports = flag === '--port' ? [taken, other] : [other, taken];
      const result = runCli(
        [
          'dev',
          'server',
          '--port',
          String(ports[0]),
          '--ui-port',
          String(ports[1]),
          '--db',
          join(dir, 'p.db'),
        ],
        { cwd: REPO_ROOT },
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`${what} ${taken} on 127.0.0.1 is already in use`);
      expect(result.stderr).toContain(`with ${flag}`);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await close(holder);
    }
  });

  it('when another dev server uses the database file, naming it and --db', async () => {
    const db = join(dir, 'shared.db');
    // A live process holds it: this test's own.
    writeFileSync(`${db}.lock`, JSON.stringify({ pids: [process.pid] }));
    const result = runCli(
      [
        'dev',
        'server',
        '--port',
        String(await findFreePort()),
        '--ui-port',
        String(await findFreePort()),
        '--db',
        db,
      ],
      { cwd: REPO_ROOT },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`ripcord: ${db} is in use by another dev server (pid ${process.pid})`);
    expect(result.stderr).toContain('--db <file>');
  });
});
