import type { Command } from 'commander';
import type * as Audit from '../commands/audit';
import { AUDIT_TABLE, DEFAULT_AUDIT_FILE } from './audit-names';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const auditCommands = (): typeof Audit => require('../commands/audit');

export function registerAuditCommands(program: Command): void {
  const audit = program
    .command('audit')
    .description('verify and read the hash-chained, signed audit trail; make its key; create its table');

  audit
    .command('verify')
    .description(
      'check the whole hash chain (any edit, removal, insertion or reordering), with --key every signature, ' +
        "with --temporal every guardian's kept head",
    )
    .argument('[file]', `JSONL audit file (default ${DEFAULT_AUDIT_FILE})`)
    .option(
      '--db <url|${secret:NAME}>',
      'read table ripcord_audit in PostgreSQL instead (default: $RIPCORD_AUDIT_DB)',
    )
    .option(
      '--key <file>',
      'public audit key (JWK) or a JWKS of them: every record must be signed by one (default: $RIPCORD_AUDIT_PUBLIC_KEY)',
    )
    .option(
      '--temporal',
      "also check that every guardian's audit head (kept in Temporal: its status, or its result) is still in the trail",
    )
    .option(
      '--profile <name|file>',
      'with --temporal: connection profile (default: local or $RIPCORD_PROFILE)',
    )
    .addHelpText(
      'after',
      '\nWithout --key anyone who can write the trail can append or rewrite records and recompute the chain:\n' +
        'always pass --key. A cut-off tail is found only with --temporal (or by comparing the printed head with\n' +
        'one kept elsewhere). --temporal assumes every guardian of the namespace writes to this trail.\n' +
        'Exit codes: 0 verified (prints the count and the head), 1 a record does not verify (named), a guardian\n' +
        'head is missing or differs, or the trail cannot be read, 2 usage error.',
    )
    .action(async (file: string | undefined, flags: Audit.VerifyFlags) =>
      auditCommands().verify(file, flags),
    );

  audit
    .command('keygen')
    .description(
      "make an audit key pair (Ed25519): the worker signs every record with it (not the token keygen's format)",
    )
    .requiredOption('--out <dir>', 'directory for <kid>.private.jwk.json (0600) and <kid>.public.jwk.json')
    .option('--kid <id>', 'key id', 'ripcord-audit')
    .addHelpText(
      'after',
      '\nGive the private key to the worker only (--audit-key or $RIPCORD_AUDIT_KEY, or as ${secret:NAME}) and the\n' +
        'public key to auditors (audit verify --key). To rotate: a new --kid, and verify with a JWKS of both.',
    )
    .action(async (flags: Audit.KeygenFlags) => auditCommands().keygen(flags));

  audit
    .command('init-db')
    .description(
      `create table ${AUDIT_TABLE}, its index and append-only triggers; run once, as the table's owner`,
    )
    .option('--db <url|${secret:NAME}>', "the owner's connection (default: $RIPCORD_AUDIT_DB)")
    .option(
      '--worker-role <role>',
      'the role the worker connects as, for the printed GRANT',
      'ripcord_worker',
    )
    .option('--reader-role <role>', 'a role that may only read the trail, for the printed GRANT')
    .addHelpText(
      'after',
      '\nThe worker never creates or alters the table: it needs SELECT and INSERT only (printed as GRANTs).\n' +
        'An owner or superuser can still disable the triggers: the signatures (worker --audit-key) catch that.',
    )
    .action(async (flags: Audit.InitDbFlags) => auditCommands().initDb(flags));

  audit
    .command('show')
    .description("print one deployment's audit records, oldest first")
    .argument('<deployment-id>', 'deployment id or guardian workflow id')
    .option('--file <file>', `JSONL audit file (default ${DEFAULT_AUDIT_FILE})`)
    .option(
      '--db <url|${secret:NAME}>',
      'read table ripcord_audit in PostgreSQL instead (default: $RIPCORD_AUDIT_DB)',
    )
    .option('--key <file>', 'public audit key (JWK) or JWKS: every record must be signed by one')
    .option('--json', 'print the records as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 shown and the chain verifies, 1 no records or the chain is broken.',
    )
    .action(async (deployment: string, flags: Audit.ShowFlags) => auditCommands().show(deployment, flags));
}
