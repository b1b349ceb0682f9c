/**
 * Child process entry for the local Unleash server (started by src/dev/unleash.ts
 * with `node --import tsx`). Unleash is an ES module with its own process-wide
 * state (signal handlers, timers, a pool), so it runs apart from the caller.
 *
 * The settings, admin token included, arrive as one JSON line on stdin: never on
 * the command line (visible in `ps`) and never in a log line.
 */
export interface UnleashChildSettings {
  host: string;
  port: number;
  database: { host: string; port: number; user: string; password?: string; database: string };
  adminToken: string;
}

/**
 * The first line on stdin is the settings. The parent keeps stdin open for as
 * long as it wants the server: when it closes (the parent stopped, or died
 * without a word), the server stops too instead of outliving it.
 */
function readSettings(): Promise<UnleashChildSettings> {
  return new Promise((resolveSettings, reject) => {
    let buffered = '';
    let settled = false;
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => {
      if (settled) return;
      buffered += chunk;
      const end = buffered.indexOf('\n');
      if (end < 0) return;
      settled = true;
      try {
        resolveSettings(JSON.parse(buffered.slice(0, end)) as UnleashChildSettings);
      } catch {
        reject(new Error('the settings on stdin are not JSON'));
      }
      buffered = '';
    });
    process.stdin.on('end', () => {
      if (!settled) reject(new Error('no settings on stdin'));
      // SIGTERM runs Unleash's graceful shutdown (it registered the handler at start).
      else process.kill(process.pid, 'SIGTERM');
    });
  });
}

async function main(): Promise<void> {
  const settings = await readSettings();
  // Before Unleash reads its environment: nothing leaves this machine.
  process.env.SEND_TELEMETRY = 'false';
  process.env.CHECK_VERSION = 'false';
  const unleash = await import('unleash-server');
  await unleash.start({
    db: { ...settings.database, ssl: false, schema: 'public', disableMigration: false },
    server: {
      host: settings.host,
      port: settings.port,
      unleashUrl: `http://${settings.host}:${settings.port}`,
      gracefulShutdownEnable: true,
    },
    versionCheck: { enable: false },
    authentication: {
      // Unleash's "init API tokens": the admin token exists from the first request on.
      initApiTokens: [
        {
          secret: settings.adminToken,
          type: unleash.ApiTokenType.ADMIN,
          environment: '*',
          projects: ['*'],
          tokenName: 'ripcord-dev',
        },
      ],
    },
    logLevel: unleash.LogLevel.warn,
  } as Parameters<typeof unleash.start>[0]);
  process.stdout.write('unleash started\n');
}

main().catch((error: unknown) => {
  // The settings hold the token; an error from Unleash does not, but keep it to the message.
  process.stderr.write(
    `unleash failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
