import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * Connection profiles (temporal-config/profiles/*.yaml): one loader for the
 * client and the worker, so both always talk to the same cluster. A profile holds
 * paths and the *name* of the variable with an API key, never a secret itself,
 * and nothing here ever logs the resolved options.
 */

export const PROFILES_DIR = resolve(__dirname, '..', '..', 'temporal-config', 'profiles');

export const ConnectionProfile = z
  .object({
    address: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port'),
    namespace: z.string().min(1),
    taskQueue: z.string().min(1).default('ripcord'),
    tls: z
      .object({
        serverRootCACertPath: z.string().min(1).optional(),
        clientCertPath: z.string().min(1).optional(),
        clientKeyPath: z.string().min(1).optional(),
        serverNameOverride: z.string().min(1).optional(),
      })
      .strict()
      .refine((tls) => Boolean(tls.clientCertPath) === Boolean(tls.clientKeyPath), {
        message: 'clientCertPath and clientKeyPath go together',
      })
      .optional(),
    /** Base URL of the Temporal Web UI, for the links the CLI prints. */
    webUi: z.string().url().optional(),
    apiKeyEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'the name of an environment variable')
      .optional(),
  })
  .strict();
export type ConnectionProfile = z.infer<typeof ConnectionProfile>;

export class ProfileError extends Error {}

/** A profile ready to connect with: TLS material read, API key taken from the environment. */
export interface ResolvedConnection {
  profileName: string;
  address: string;
  namespace: string;
  taskQueue: string;
  webUi?: string;
  tls?: {
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
    serverNameOverride?: string;
  };
  apiKey?: string;
}

function profilePath(nameOrPath: string): string {
  if (nameOrPath.endsWith('.yaml') || nameOrPath.endsWith('.yml') || nameOrPath.includes('/')) {
    return isAbsolute(nameOrPath) ? nameOrPath : resolve(nameOrPath);
  }
  return join(PROFILES_DIR, `${nameOrPath}.yaml`);
}

export function loadConnectionProfile(
  nameOrPath?: string,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConnection {
  // An empty RIPCORD_PROFILE means the default, as an unset one does.
  const name = nameOrPath || env.RIPCORD_PROFILE || 'local';
  const file = profilePath(name);
  if (!existsSync(file)) {
    throw new ProfileError(`connection profile "${name}" not found (looked for ${file})`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ProfileError(
      `connection profile ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  const parsed = ConnectionProfile.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new ProfileError(`connection profile ${file} is invalid: ${problems}`);
  }
  const profile = parsed.data;
  const resolved: ResolvedConnection = {
    profileName: name,
    address: env.TEMPORAL_ADDRESS || profile.address,
    namespace: env.TEMPORAL_NAMESPACE || profile.namespace,
    taskQueue: env.RIPCORD_TASK_QUEUE || profile.taskQueue,
    ...(env.RIPCORD_WEB_UI || profile.webUi ? { webUi: env.RIPCORD_WEB_UI || profile.webUi } : {}),
  };
  if (profile.tls) {
    const readPem = (field: string, path: string | undefined): Buffer | undefined => {
      if (!path) return undefined;
      try {
        return readFileSync(path);
      } catch {
        // Name the field and the path, never the content.
        throw new ProfileError(`connection profile ${file}: tls.${field} ${path} cannot be read`);
      }
    };
    const ca = readPem('serverRootCACertPath', profile.tls.serverRootCACertPath);
    const crt = readPem('clientCertPath', profile.tls.clientCertPath);
    const key = readPem('clientKeyPath', profile.tls.clientKeyPath);
    resolved.tls = {
      ...(ca ? { serverRootCACertificate: ca } : {}),
      ...(crt && key ? { clientCertPair: { crt, key } } : {}),
      ...(profile.tls.serverNameOverride ? { serverNameOverride: profile.tls.serverNameOverride } : {}),
    };
  }
  if (profile.apiKeyEnv) {
    const apiKey = env[profile.apiKeyEnv];
    if (!apiKey) {
      throw new ProfileError(
        `connection profile ${file} needs an API key in $${profile.apiKeyEnv}, which is not set`,
      );
    }
    resolved.apiKey = apiKey;
  }
  return resolved;
}

/** A one-line description that is safe to print: where, never how (no keys, no certificate paths). */
export function describeConnection(conn: ResolvedConnection): string {
  return `${conn.address} namespace=${conn.namespace} taskQueue=${conn.taskQueue}${conn.tls ? ' tls' : ''}${conn.apiKey ? ' api-key' : ''}`;
}
