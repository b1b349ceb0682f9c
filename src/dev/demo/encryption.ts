import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { startCodecServer } from '../../security/codec-server';
import {
  AesGcmPayloadCodec,
  encryptingDataConverter,
  loadKeyringFile,
  writeNewKeyring,
} from '../../security/codec';
import { findFreePort } from '../ports';

/**
 * The demo runs with payload encryption on, as production should (docs/architecture.md §5):
 * a fresh AES-256-GCM keyring per run, the same data converter for the worker
 * and the client, and a codec server the dev server's Web UI decodes through.
 * Only the Web UI's origin may call it from a browser; the demo's codec server
 * takes no bearer token (the dev server's Web UI cannot send one), so it
 * listens on loopback only, which the codec server enforces.
 */
export interface DemoEncryption {
  /** The keyring file; `RIPCORD_CODEC_KEYS=<it>` lets a CLI in another shell read and write the demo's payloads. */
  keysFile: string;
  keyId: string;
  dataConverter: DataConverter;
  /** What the dev server's `--ui-codec-endpoint` names. */
  codecUrl: string;
  stop(): Promise<void>;
}

export async function startDemoEncryption(options: {
  dir: string;
  runId: string;
  /** The Web UI's origins, as browsers send them. */
  uiOrigins: string[];
}): Promise<DemoEncryption> {
  const keysDir = join(options.dir, 'keys');
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  const keysFile = join(keysDir, 'codec-keyring.json');
  const keyId = `demo-${options.runId}`;
  await writeNewKeyring(keysFile, keyId);
  const keyring = loadKeyringFile(keysFile);
  const server = await startCodecServer({
    codec: new AesGcmPayloadCodec(keyring),
    port: await findFreePort(),
    host: '127.0.0.1',
    allowUnauthenticated: true,
    allowedOrigins: options.uiOrigins,
  });
  return {
    keysFile,
    keyId,
    dataConverter: encryptingDataConverter(keyring),
    codecUrl: server.url,
    stop: () => server.close(),
  };
}
