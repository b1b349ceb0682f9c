import type { Command } from 'commander';
import type * as Worker from '../commands/worker';

const collect = (value: string, previous: string[]) => [...previous, value];

// eslint-disable-next-line @typescript-eslint/no-require-imports
const workerCommand = (): typeof Worker => require('../commands/worker');

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a ripcord worker: executes guardian workflows and their activities')
    .option(
      '--profile <name|file>',
      'connection profile in temporal-config/profiles (default: local or $RIPCORD_PROFILE)',
    )
    .option(
      '--plane <all|decide|execute>',
      'all: both planes in one process (default); decide: guardians, health and bookkeeping, no production credential; ' +
        'execute: only the rollback steps of one --environment (see docs/operations.md, "Two planes")',
    )
    .option('--environment <name>', 'with --plane execute: the environment whose steps this worker runs')
    .option(
      '--allow-secret <NAME>',
      'with --plane decide: a RIPCORD_SECRET_<NAME> a health source or a notification receiver reads (repeatable); any other refuses the start',
      collect,
      [],
    )
    .option('--log-level <level>', 'SDK log level: TRACE, DEBUG, INFO, WARN or ERROR', 'WARN')
    .option('--state-dir <dir>', 'where ripcord keeps its files (audit trail, dry-run journal)', '.ripcord')
    .option('--dry-run', 'send every rollback step to the recording target instead of production')
    .option(
      '--accept-replay',
      'accept guardians started with --replay although steps go to real targets (testing targets only)',
    )
    .option(
      '--targets <file>',
      'where production is for each step type (nginx, artifacts, Unleash, migrations, webhooks; default: $RIPCORD_TARGETS); see docs/targets.md',
    )
    .option(
      '--approval-keys <file|url>',
      'JWKS with the public keys that sign action tokens (default: $RIPCORD_APPROVAL_KEYS)',
    )
    .option('--token-issuer <iss>', 'accept action tokens from this issuer only (repeatable)', collect, [])
    .option(
      '--insecure-claims',
      'trust the actor and role a request claims, without a token (local development only)',
    )
    .option(
      '--audit-db <url|${secret:NAME}>',
      'PostgreSQL for the audit trail, table ripcord_audit (default: $RIPCORD_AUDIT_DB, else <state-dir>/audit.jsonl)',
    )
    .option(
      '--audit-key <file|${secret:NAME}>',
      'private Ed25519 JWK that signs every audit record (default: $RIPCORD_AUDIT_KEY; make one with `ripcord audit keygen`)',
    )
    .option(
      '--codec-keys <file>',
      'encrypt payloads with this keyring (default: $RIPCORD_CODEC_KEYS or $RIPCORD_CODEC_KEYRING; none: off)',
    )
    .option(
      '--metrics-port <port>',
      "serve ripcord's metrics on GET /metrics at this port, e.g. 9464 (default: $RIPCORD_METRICS_PORT, else off); see docs/operations.md",
    )
    .option('--metrics-host <address>', 'address for --metrics-port', '0.0.0.0')
    .option(
      '--web-ui <url>',
      "Temporal Web UI base URL for the guardian links in notifications (default: the profile's webUi)",
    )
    .option(
      '--notifications <send|log>',
      "send notifications to the policy's receivers, or only log them (default: send; log with --dry-run)",
    )
    .addHelpText(
      'after',
      '\nActions (approve, reject, abort, pause, resume, rollback) need a signed token verified against\n' +
        '--approval-keys. Without keys, a --dry-run or --insecure-claims worker trusts the claimed identity;\n' +
        'any other worker refuses every action. See docs/security.md.',
    )
    .action(async (opts: Worker.WorkerFlags) => workerCommand().runWorker(opts));
}
