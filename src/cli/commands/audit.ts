import type { Command } from 'commander';
import {
  DEFAULT_AUDIT_FILE,
  describeDatabase,
  PostgresAuditSink,
  readAuditFileLines,
} from '../../activities/audit';
import { SECRET_REF_PATTERN } from '../../policy/schema/common';
import { describeChainFailure, type StoredEntry, verifyChain } from '../../security/audit-chain';
import { resolveSecret } from '../../security/secrets';
import { EXIT } from '../exit-codes';
import { UserFacingError } from '../errors';
import { formatTable } from '../table';

/**
 * Reading the audit trail: `audit verify` checks the whole hash chain (exit 0
 * with the count, 1 naming the first bad record); `audit show` prints one
 * deployment's records for people, after checking the chain they belong to.
 */

interface SourceFlags {
  file?: string;
  db?: string;
}

export interface AuditSource {
  where: string;
  read(): Promise<StoredEntry[]>;
}

/** Where the trail is read: a file (default), or PostgreSQL with --db / $RIPCORD_AUDIT_DB. */
export function auditSource(file: string | undefined, flags: SourceFlags): AuditSource {
  const chosenFile = file ?? flags.file;
  if (chosenFile && flags.db) throw new UserFacingError('read either a file or --db, not both', EXIT.usage);
  const db = chosenFile ? undefined : flags.db || process.env.RIPCORD_AUDIT_DB || undefined;
  if (db) {
    let url: string;
    try {
      url = SECRET_REF_PATTERN.test(db) ? resolveSecret(db) : db;
    } catch (err) {
      throw new UserFacingError((err as Error).message, EXIT.usage);
    }
    const where = describeDatabase(url);
    return {
      where: `${where} (table ripcord_audit)`,
      async read() {
        const sink = new PostgresAuditSink(url);
        try {
          return await sink.readEntries();
        } catch (err) {
          throw new UserFacingError(`cannot read the audit trail from ${where}: ${(err as Error).message}`);
        } finally {
          await sink.close();
        }
      },
    };
  }
  const path = chosenFile ?? DEFAULT_AUDIT_FILE;
  return {
    where: path,
    async read() {
      try {
        return await readAuditFileLines(path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new UserFacingError(
          `cannot read audit file ${path}${code === 'ENOENT' ? ': no such file' : ` (${code})`}`,
        );
      }
    },
  };
}

async function verify(file: string | undefined, flags: SourceFlags): Promise<void> {
  const from = auditSource(file, flags);
  const verdict = verifyChain(await from.read());
  if (!verdict.ok) {
    throw new UserFacingError(
      `audit trail ${from.where} does not verify: ${describeChainFailure(verdict)} ` +
        `(${verdict.count} records before it verified)`,
    );
  }
  const head = verdict.head ? `; head seq ${verdict.head.seq} ${verdict.head.hash}` : '';
  process.stdout.write(`audit trail ${from.where}: ${verdict.count} records verified${head}\n`);
}

interface ShownRecord {
  seq?: number;
  at?: string;
  kind?: string;
  actor?: string;
  summary?: string;
  workflowId?: string;
  deploymentId?: string;
  planHash?: string;
  details?: Record<string, unknown>;
}

function detailLine(details: Record<string, unknown> | undefined): string | undefined {
  if (!details) return undefined;
  const parts = Object.entries(details)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length ? parts.join('  ') : undefined;
}

async function show(deployment: string, flags: SourceFlags & { json?: boolean }): Promise<void> {
  const from = auditSource(undefined, flags);
  const entries = await from.read();
  const verdict = verifyChain(entries);
  const records: ShownRecord[] = [];
  for (const entry of entries) {
    try {
      const record = JSON.parse(entry.text) as ShownRecord;
      if (record.deploymentId === deployment || record.workflowId === deployment) records.push(record);
    } catch {
      // Unreadable lines are reported by the chain check below.
    }
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
  } else {
    const say = (line: string) => process.stdout.write(`${line}\n`);
    const workflows = [...new Set(records.map((r) => r.workflowId))].join(', ');
    say(`audit trail for ${deployment}${workflows ? ` (${workflows})` : ''} from ${from.where}`);
    say(
      verdict.ok
        ? `chain: all ${verdict.count} records verified`
        : `chain: DOES NOT VERIFY: ${describeChainFailure(verdict)}`,
    );
    if (records.length === 0) {
      say('no records for this deployment');
    } else {
      const rows: string[][] = [];
      for (const r of records) {
        rows.push([String(r.seq ?? '?'), r.at ?? '', r.kind ?? '', r.actor ?? '', r.summary ?? '']);
        const detail = detailLine(r.details);
        if (detail) rows.push(['', '', '', '', `  ${detail}`]);
      }
      for (const line of formatTable(['SEQ', 'AT', 'KIND', 'ACTOR', 'SUMMARY'], rows)) say(line);
      const plans = [...new Set(records.map((r) => r.planHash).filter(Boolean))];
      if (plans.length) say(`plan${plans.length > 1 ? 's' : ''}: ${plans.join(', ')}`);
    }
  }
  if (!verdict.ok) process.exitCode = EXIT.refusedOrFailed;
  else if (records.length === 0) process.exitCode = EXIT.refusedOrFailed;
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('verify and read the hash-chained audit trail');

  audit
    .command('verify')
    .description('check the whole hash chain: any edit, removal, insertion or reordering is found')
    .argument('[file]', `JSONL audit file (default ${DEFAULT_AUDIT_FILE})`)
    .option(
      '--db <url|${secret:NAME}>',
      'read table ripcord_audit in PostgreSQL instead (default: $RIPCORD_AUDIT_DB)',
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 verified (prints the count and the head hash; keep the head elsewhere to detect a\n' +
        'truncated tail), 1 a record does not verify (named) or the trail cannot be read, 2 usage error.',
    )
    .action(verify);

  audit
    .command('show')
    .description("print one deployment's audit records, oldest first")
    .argument('<deployment-id>', 'deployment id or guardian workflow id')
    .option('--file <file>', `JSONL audit file (default ${DEFAULT_AUDIT_FILE})`)
    .option(
      '--db <url|${secret:NAME}>',
      'read table ripcord_audit in PostgreSQL instead (default: $RIPCORD_AUDIT_DB)',
    )
    .option('--json', 'print the records as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 shown and the chain verifies, 1 no records or the chain is broken.',
    )
    .action(show);
}
