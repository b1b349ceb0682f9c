import type { Command } from 'commander';
import type * as CodecServer from '../commands/codec-server';
import { parsePort } from '../options';

const collect = (value: string, previous: string[]) => [...previous, value];
/** The embedded dev server's Web UI, under both names a browser may use. */
export const DEV_WEB_UI_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'];

// eslint-disable-next-line @typescript-eslint/no-require-imports
const codecServerCommand = (): typeof CodecServer => require('../commands/codec-server');

export function registerCodecServerCommand(program: Command): void {
  program
    .command('codec-server')
    .description("decode and encode ripcord's encrypted payloads for the Temporal Web UI and CLI")
    .option('--port <port>', 'port to listen on', parsePort, 8888)
    .option('--host <address>', 'address to bind (put TLS in front before leaving loopback)', '127.0.0.1')
    .option('--keys <file>', 'keyring file (default: $RIPCORD_CODEC_KEYS or $RIPCORD_CODEC_KEYRING)')
    .option(
      '--token-secret <${secret:NAME}>',
      "reference to the bearer token callers must send (quote it: '${secret:CODEC_TOKEN}')",
    )
    .option(
      '--web-ui-origin <origin>',
      `Web UI origin allowed to call from a browser (repeatable; default ${DEV_WEB_UI_ORIGINS.join(' and ')})`,
      collect,
      [],
    )
    .option(
      '--insecure-no-auth',
      'no bearer token (loopback only, local development: the dev Web UI sends none)',
    )
    .addHelpText(
      'after',
      '\nWeb UI: set the codec endpoint to http://<host>:<port> and enable "pass access token" when a token\n' +
        'is required. Temporal CLI: --codec-endpoint http://<host>:<port> --codec-auth "Bearer <token>".',
    )
    .action(async (flags: CodecServer.CodecServerFlags) => codecServerCommand().codecServer(flags));
}
