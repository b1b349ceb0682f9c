import type { DataConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from './aes-gcm-codec';
import { type Keyring, loadKeyringFile, parseKeyring } from './keyring';

/**
 * Where the codec's keys come from, the same way for the worker, every CLI
 * command and the codec server, so that all sides always agree:
 *   1. an explicit keyring file (`--codec-keys <file>`),
 *   2. `RIPCORD_CODEC_KEYS`: the path of a keyring file,
 *   3. `RIPCORD_CODEC_KEYRING`: the keyring JSON itself (a secret injected by the platform).
 * None of them: no encryption (the default; payloads are plain JSON in history).
 */
export function keyringFromConfig(
  keysFile: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Keyring | undefined {
  const file = keysFile || env.RIPCORD_CODEC_KEYS;
  if (file) return loadKeyringFile(file);
  const inline = env.RIPCORD_CODEC_KEYRING;
  if (inline) return parseKeyring(inline, 'RIPCORD_CODEC_KEYRING');
  return undefined;
}

export function encryptingDataConverter(keyring: Keyring): DataConverter {
  return {
    payloadCodecs: [new AesGcmPayloadCodec(keyring)],
    // Failure messages and stack traces are encrypted too, not only payloads.
    failureConverterPath: require.resolve('./failure-converter'),
  };
}

/** The data converter for a Client or Worker, or undefined when encryption is not configured. */
export function dataConverterFromConfig(
  keysFile?: string,
  env: NodeJS.ProcessEnv = process.env,
): DataConverter | undefined {
  const keyring = keyringFromConfig(keysFile, env);
  return keyring ? encryptingDataConverter(keyring) : undefined;
}
