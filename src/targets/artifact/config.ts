import { z } from 'zod';
import { HttpUrl } from '../../policy/schema/common';

/** Restart by running a command (no shell): e.g. ["systemctl", "restart", "checkout"]. */
export const RestartCommand = z.strictObject({
  command: z.array(z.string().min(1)).min(1, { error: 'needs the program and its arguments' }),
  /** The command must finish (not run the service itself) within this time. */
  timeoutSeconds: z.number().int().min(1).max(600).default(60),
});

/** Restart by signalling the supervisor whose pid is in the file (it re-execs `current`). */
export const RestartSignal = z.strictObject({
  pidFile: z.string().min(1),
  signal: z.enum(['SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGTERM']).default('SIGHUP'),
});

export const LocalProcessService = z.strictObject({
  /** Answers GET with JSON { version, digest } of the release it runs. */
  versionUrl: HttpUrl,
  restart: z.union([RestartCommand, RestartSignal]),
  /** How long the service may take after a restart to report the new digest. */
  readyTimeoutSeconds: z.number().int().min(1).max(3600).default(30),
});
export type LocalProcessService = z.infer<typeof LocalProcessService>;

/**
 * The artifact target for services run as local processes from a releases
 * directory (layout in ./releases.ts). Keyed by the deployment's service name.
 */
export const ArtifactTargetConfig = z.strictObject({
  type: z.literal('local-process'),
  releasesDir: z.string().min(1),
  /** JWKS-like file of trusted Ed25519 public keys: { keys: [{ kid, kty: "OKP", crv: "Ed25519", x }] }. */
  trustedKeysFile: z.string().min(1),
  services: z.record(z.string().min(1), LocalProcessService),
  /** Where the target remembers each step's snapshot; default <releasesDir>/.ripcord/artifact-steps.jsonl. */
  journalFile: z.string().min(1).optional(),
});
export type ArtifactTargetConfig = z.infer<typeof ArtifactTargetConfig>;
export type ArtifactTargetConfigInput = z.input<typeof ArtifactTargetConfig>;

/** Parses a configuration; every problem is reported with its field path. */
export function parseArtifactTargetConfig(input: unknown): ArtifactTargetConfig {
  const result = ArtifactTargetConfig.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`,
  );
  throw new Error(`artifact target configuration: ${problems.join('; ')}`);
}
