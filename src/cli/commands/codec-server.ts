import { SECRET_REF_PATTERN } from '../../policy/schema/common';
import { AesGcmPayloadCodec } from '../../security/codec/aes-gcm-codec';
import { keyringFromConfig } from '../../security/codec/data-converter';
import { CodecServerConfigError, startCodecServer } from '../../security/codec-server';
import { resolveSecret } from '../../security/secrets';
import { EXIT } from '../exit-codes';
import { UserFacingError } from '../errors';
import { DEV_WEB_UI_ORIGINS } from '../register/codec-server';

export interface CodecServerFlags {
  port: number;
  host: string;
  keys?: string;
  tokenSecret?: string;
  webUiOrigin: string[];
  insecureNoAuth?: boolean;
}

/** `ripcord codec-server`: serves until Ctrl-C. */
export async function codecServer(flags: CodecServerFlags): Promise<void> {
  if (flags.tokenSecret && flags.insecureNoAuth) {
    throw new UserFacingError('pass either --token-secret or --insecure-no-auth', EXIT.usage);
  }
  if (!flags.tokenSecret && !flags.insecureNoAuth) {
    throw new UserFacingError(
      "a bearer token is required: --token-secret '${secret:NAME}' (or --insecure-no-auth on loopback for local development)",
      EXIT.usage,
    );
  }
  let token: string | undefined;
  let keyring;
  try {
    if (flags.tokenSecret) {
      // A literal token on the command line would show in `ps` and shell history.
      if (!SECRET_REF_PATTERN.test(flags.tokenSecret)) {
        throw new UserFacingError(
          "--token-secret takes a secret reference such as '${secret:CODEC_TOKEN}' (quoted), never the token itself",
          EXIT.usage,
        );
      }
      token = resolveSecret(flags.tokenSecret);
    }
    keyring = keyringFromConfig(flags.keys);
  } catch (err) {
    if (err instanceof UserFacingError) throw err;
    throw new UserFacingError((err as Error).message, EXIT.usage);
  }
  if (!keyring) {
    throw new UserFacingError(
      'no keyring: pass --keys <file> or set RIPCORD_CODEC_KEYS / RIPCORD_CODEC_KEYRING',
      EXIT.usage,
    );
  }
  const origins = flags.webUiOrigin.length > 0 ? flags.webUiOrigin : DEV_WEB_UI_ORIGINS;
  let server;
  try {
    server = await startCodecServer({
      codec: new AesGcmPayloadCodec(keyring),
      port: flags.port,
      host: flags.host,
      ...(token ? { token } : { allowUnauthenticated: true }),
      allowedOrigins: origins,
    });
  } catch (err) {
    if (err instanceof CodecServerConfigError) throw new UserFacingError(err.message, EXIT.usage);
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserFacingError(
      code === 'EADDRINUSE' ? `port ${flags.port} is in use` : `cannot start: ${(err as Error).message}`,
    );
  }
  process.stdout.write(
    `codec server on ${server.url} (POST /encode, /decode; ${token ? 'bearer token required' : 'NO AUTH, loopback only'}); ` +
      `keys ${keyring.ids.join(', ')}, encrypting with ${keyring.currentId}; Web UI origins ${origins.join(', ')} (Ctrl-C to stop)\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}
