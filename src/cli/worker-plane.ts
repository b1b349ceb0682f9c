import { PLANES, type Plane } from '../model/planes';

export interface PlaneFlags {
  plane?: string;
  environment?: string;
  targets?: string;
  dryRun?: boolean;
  allowSecret: string[];
}

/** Environment names: they become part of a task queue name. */
const ENVIRONMENT = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const SECRET_PREFIX = 'RIPCORD_SECRET_';

export interface CheckedPlane {
  plane: Plane;
  environment?: string;
  problems: string[];
}

/**
 * What each plane may hold, checked before anything starts (docs/operations.md,
 * "Two planes"): a decide plane holds no production credential (no targets
 * file, no secret a target would read); an execute plane serves one named
 * environment and knows where its production is.
 */
export function checkPlane(flags: PlaneFlags, env: NodeJS.ProcessEnv = process.env): CheckedPlane {
  const problems: string[] = [];
  const plane = (flags.plane ?? 'all') as Plane;
  if (!PLANES.includes(plane)) {
    return { plane: 'all', problems: [`--plane must be ${PLANES.join(', ')}, got "${flags.plane}"`] };
  }
  const targetsFile = flags.targets || env.RIPCORD_TARGETS;
  if (plane !== 'execute' && flags.environment !== undefined)
    problems.push('--environment goes with --plane execute (a decide plane serves every environment)');
  if (plane === 'decide') {
    if (targetsFile)
      problems.push(
        `--plane decide holds no production credential, but it was given a targets file (${flags.targets ? '--targets' : '$RIPCORD_TARGETS'}): give it to the execute plane`,
      );
    if (flags.dryRun)
      problems.push(
        '--plane decide runs no step: --dry-run belongs to the execute plane (ripcord worker --plane execute --dry-run)',
      );
    const allowed = new Set(flags.allowSecret.map((name) => name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')));
    const secrets = Object.keys(env)
      .filter((key) => key.startsWith(SECRET_PREFIX) && env[key] !== undefined && env[key] !== '')
      .filter((key) => !allowed.has(key.slice(SECRET_PREFIX.length)))
      .sort();
    if (secrets.length > 0)
      problems.push(
        `--plane decide holds no production credential, but its environment has ${secrets.join(', ')}: ` +
          'give target secrets to the execute plane only; a secret a health source or a notification receiver reads ' +
          `may stay with --allow-secret <NAME> (e.g. --allow-secret ${secrets[0]!.slice(SECRET_PREFIX.length)})`,
      );
  }
  if (plane === 'execute') {
    if (flags.environment === undefined)
      problems.push('--plane execute serves one environment: give it with --environment <name>');
    else if (!ENVIRONMENT.test(flags.environment))
      problems.push(
        `--environment must be lowercase letters, digits, ".", "_" or "-" (1-63), got "${flags.environment}"`,
      );
    if (!targetsFile && !flags.dryRun)
      problems.push(
        '--plane execute needs to know where production is: --targets <file> (or --dry-run to record steps)',
      );
  }
  if (plane !== 'decide' && flags.allowSecret.length > 0)
    problems.push(
      '--allow-secret goes with --plane decide (other planes may hold every secret they are given)',
    );
  return { plane, ...(flags.environment !== undefined ? { environment: flags.environment } : {}), problems };
}
