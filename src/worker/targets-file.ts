import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ArtifactTarget, ArtifactTargetConfig } from '../targets/artifact';
import { MigrationsTarget, MigrationsTargetConfig } from '../targets/migrations';
import { NginxTargetConfig, NginxTrafficTarget } from '../targets/nginx';
import { TargetRegistry, type ActionType, type RollbackTarget } from '../targets';
import { UnleashFlagTarget, UnleashTargetConfig } from '../targets/unleash';
import { WebhookTarget, WebhookTargetConfig } from '../targets/webhook';

/**
 * The worker's targets file: where production is, for each kind of rollback
 * step. The policy says *what* to do (drain the canary, revert the artifact);
 * this file, owned by whoever runs the worker, says *where* (which nginx, which
 * Unleash, which database). A step type without a section here fails closed.
 *
 * ```yaml
 * apiVersion: ripcord/v1
 * kind: WorkerTargets
 * targets:
 *   traffic: { type: nginx, ... }                    # shift-traffic, swap-blue-green
 *   artifacts: { type: local-process, ... }          # revert-artifact
 *   flags: { type: unleash, ... }                    # disable-flag
 *   migrations: { type: postgres-migrations, ... }   # down-migration
 *   webhooks: { type: webhook, ... }                 # webhook
 * ```
 *
 * Relative paths are resolved against the file's own directory, so a file and
 * the things it names can move together.
 */
export const WorkerTargetsFile = z.strictObject({
  apiVersion: z.literal('ripcord/v1'),
  kind: z.literal('WorkerTargets'),
  targets: z.strictObject({
    traffic: NginxTargetConfig.optional(),
    artifacts: ArtifactTargetConfig.optional(),
    flags: UnleashTargetConfig.optional(),
    migrations: MigrationsTargetConfig.optional(),
    webhooks: WebhookTargetConfig.optional(),
  }),
});
export type WorkerTargetsFile = z.infer<typeof WorkerTargetsFile>;

export class TargetsFileError extends Error {
  override readonly name = 'TargetsFileError';
}

/** Path fields of each section, resolved against the targets file's directory. */
const PATH_FIELDS = {
  traffic: ['prefix', 'confFile', 'pidFile', 'upstreamsDir', 'stateDir', 'nginxBinary'],
  artifacts: ['releasesDir', 'trustedKeysFile', 'journalFile'],
} as const;

export function loadTargetsFile(file: string): WorkerTargetsFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TargetsFileError(
      `cannot read targets file ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
  return parseTargetsFile(text, file);
}

export function parseTargetsFile(text: string, file = '<targets>'): WorkerTargetsFile {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new TargetsFileError(`${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = WorkerTargetsFile.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join('.') : '(document)';
      // zod says "expected string, received undefined" for a missing field; people say "missing".
      const message = issue.message.endsWith('received undefined') ? 'missing (required)' : issue.message;
      return `  ${where}: ${message}`;
    });
    throw new TargetsFileError(`${file}: ${lines.length} problem(s)\n${lines.join('\n')}`);
  }
  return resolvePaths(parsed.data, path.dirname(path.resolve(file)));
}

function resolvePaths(config: WorkerTargetsFile, baseDir: string): WorkerTargetsFile {
  const resolved: WorkerTargetsFile = structuredClone(config);
  const absolute = (value: unknown) =>
    typeof value === 'string' && !path.isAbsolute(value) ? path.resolve(baseDir, value) : value;
  for (const [section, fields] of Object.entries(PATH_FIELDS)) {
    const entry = resolved.targets[section as keyof typeof PATH_FIELDS] as
      Record<string, unknown> | undefined;
    if (entry === undefined) continue;
    for (const field of fields) {
      // nginxBinary may be a bare command name looked up on PATH.
      if (field === 'nginxBinary' && typeof entry[field] === 'string' && !String(entry[field]).includes('/'))
        continue;
      if (entry[field] !== undefined) entry[field] = absolute(entry[field]);
    }
  }
  const services = resolved.targets.artifacts?.services ?? {};
  for (const service of Object.values(services)) {
    if ('pidFile' in service.restart) service.restart.pidFile = absolute(service.restart.pidFile) as string;
  }
  return resolved;
}

/** Which target carries out each step type, built from the file; absent sections stay absent (fail closed). */
export function targetRegistryFromFile(config: WorkerTargetsFile, baseDir: string): TargetRegistry {
  const { traffic, artifacts, flags, migrations, webhooks } = config.targets;
  const targets: Partial<Record<ActionType, RollbackTarget>> = {};
  if (traffic) {
    const nginx = new NginxTrafficTarget(traffic);
    targets['shift-traffic'] = nginx;
    targets['swap-blue-green'] = nginx;
  }
  if (artifacts) targets['revert-artifact'] = new ArtifactTarget(artifacts);
  if (flags) targets['disable-flag'] = new UnleashFlagTarget(flags);
  if (migrations) targets['down-migration'] = new MigrationsTarget(migrations, { baseDir });
  if (webhooks) targets.webhook = new WebhookTarget(webhooks);
  return new TargetRegistry(targets);
}
