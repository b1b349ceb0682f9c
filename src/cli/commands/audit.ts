import { DEFAULT_AUDIT_FILE, readAuditFileLines } from '../../activities/audit/jsonl-sink';
import { SECRET_REF_PATTERN } from '../../policy/schema/common';
import {
  type ChainVerdict,
  describeChainFailure,
  type StoredEntry,
  verifyChain,
} from '../../security/audit-chain';
import { type AuditVerifier, loadAuditVerifier, writeAuditKey } from '../../security/audit-signing';
import { resolveSecret } from '../../security/secrets';
import { GUARDIAN_WORKFLOW_TYPE, type AuditHead } from '../../model/guardian';
import { EXIT } from '../exit-codes';
import { UserFacingError } from '../errors';
import { formatTable } from '../../text/table';
import type * as PostgresSink from '../../activities/audit/postgres-sink';
import type * as TemporalSession from '../temporal-session';
import type * as GuardianMessages from '../../workflows/messages';

/**
 * Reading the audit trail: `audit verify` checks the whole hash chain (exit 0
 * with the count, 1 naming the first bad record), with `--key` every record's
 * signature, with `--temporal` that every guardian's own head is still in the
 * trail; `audit show` prints one deployment's records for people, after
 * checking the chain they belong to. `audit keygen` makes the worker's audit
 * key; `audit init-db` creates the PostgreSQL table as its owner.
 */

// A file trail needs neither PostgreSQL (pg, and the Temporal SDK's failure type in its sink) nor the
// Temporal client: they are loaded when --db, init-db or --temporal asks for them.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const postgres = (): typeof PostgresSink => require('../../activities/audit/postgres-sink');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const temporalSession = (): typeof TemporalSession => require('../temporal-session');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const guardianMessages = (): typeof GuardianMessages => require('../../workflows/messages');

export interface SourceFlags {
  file?: string;
  db?: string;
  key?: string;
}

export interface VerifyFlags extends SourceFlags {
  temporal?: boolean;
  profile?: string;
}

function verifierFor(flags: SourceFlags): AuditVerifier | undefined {
  const key = flags.key || process.env.RIPCORD_AUDIT_PUBLIC_KEY || undefined;
  if (!key) return undefined;
  try {
    return loadAuditVerifier(key);
  } catch (err) {
    throw new UserFacingError(`--key: ${(err as Error).message}`, EXIT.usage);
  }
}

/** `dbUrl` for init-db: a URL or a secret reference, never printed. */
function databaseUrl(db: string): string {
  try {
    return SECRET_REF_PATTERN.test(db) ? resolveSecret(db) : db;
  } catch (err) {
    throw new UserFacingError((err as Error).message, EXIT.usage);
  }
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
    const url = databaseUrl(db);
    const { describeDatabase, PostgresAuditSink } = postgres();
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

/** `ripcord audit verify`. */
export async function verify(file: string | undefined, flags: VerifyFlags): Promise<void> {
  const verifier = verifierFor(flags);
  const from = auditSource(file, flags);
  const entries = await from.read();
  const verdict = verifyChain(entries, verifier ? { verifier } : {});
  if (!verdict.ok) {
    throw new UserFacingError(
      `audit trail ${from.where} does not verify: ${printable(describeChainFailure(verdict))} ` +
        `(${verdict.count} records before it verified)`,
    );
  }
  const head = verdict.head ? `; head seq ${verdict.head.seq} ${verdict.head.hash}` : '';
  const signed = verifier ? `, every one signed by a trusted audit key (${verifier.kids.join(', ')})` : '';
  process.stdout.write(`audit trail ${from.where}: ${verdict.count} records verified${signed}${head}\n`);
  if (flags.temporal) await checkGuardianHeads(entries, verdict, flags.profile);
}

/** One guardian's head, as Temporal keeps it. */
interface KeptHead {
  workflowId: string;
  head: AuditHead;
}

/**
 * Every guardian in the namespace keeps the head of its own records (the
 * seq and hash of its last one) in its status, and in its result once it
 * completed: Temporal holds them, out of reach of whoever writes the trail.
 * Each must still be in the trail, with the same hash; otherwise the trail
 * was cut (truncated) or rewritten after it.
 */
async function checkGuardianHeads(
  entries: StoredEntry[],
  verdict: Extract<ChainVerdict, { ok: true }>,
  profile: string | undefined,
): Promise<void> {
  const bySeq = new Map<number, string>();
  for (const entry of entries) {
    const record = JSON.parse(entry.text) as { seq: number; hash: string };
    bySeq.set(record.seq, record.hash);
  }
  const { explainTemporalError, openSession } = temporalSession();
  const { statusQuery } = guardianMessages();
  const session = await openSession(profile);
  const heads: KeptHead[] = [];
  let skipped = 0;
  try {
    for await (const wf of session.client.workflow.list({
      query: `WorkflowType = "${GUARDIAN_WORKFLOW_TYPE}"`,
    })) {
      const handle = session.client.workflow.getHandle(wf.workflowId, wf.runId);
      let head: AuditHead | undefined;
      if (wf.status.name === 'RUNNING') {
        head = (await handle.query(statusQuery)).auditHead;
      } else if (wf.status.name === 'COMPLETED') {
        head = ((await handle.result()) as { auditHead?: AuditHead } | undefined)?.auditHead;
      } else if (wf.status.name === 'CONTINUED_AS_NEW') {
        continue; // the next run carries the head on
      }
      if (head && typeof head.seq === 'number' && typeof head.hash === 'string') {
        heads.push({ workflowId: wf.workflowId, head });
      } else {
        skipped += 1;
      }
    }
  } catch (err) {
    throw explainTemporalError(err);
  } finally {
    await session.close();
  }
  const trailHead = verdict.head?.seq ?? -1;
  for (const { workflowId, head } of heads.sort((a, b) => b.head.seq - a.head.seq)) {
    const stored = bySeq.get(head.seq);
    if (stored === undefined) {
      throw new UserFacingError(
        `guardian ${workflowId}: its last audit record (seq ${head.seq}, ${head.hash}) is missing from the trail, ` +
          `whose head is seq ${trailHead}: the trail was cut or rewritten after seq ${trailHead}`,
      );
    }
    if (stored !== head.hash) {
      throw new UserFacingError(
        `guardian ${workflowId}: its last audit record seq ${head.seq} has hash ${head.hash}, the trail holds ` +
          `${stored} there: the trail was cut and rewritten at or before seq ${head.seq}`,
      );
    }
  }
  process.stdout.write(
    `guardian heads: ${heads.length} found in the trail, unchanged` +
      `${skipped ? ` (${skipped} guardians without a kept head skipped)` : ''}\n`,
  );
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

// Control characters (C0, DEL, C1), line and paragraph separators, and bidirectional overrides.
// eslint-disable-next-line no-control-regex
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text from the trail as it may reach a terminal: every control character
 * shown as a visible escape (`\n`, `\x1b`, `\u202e`), so that a record can
 * neither draw rows of its own nor move the cursor or recolour the screen.
 */
export function printable(text: unknown): string {
  const value = typeof text === 'string' ? text : text === undefined ? '' : String(text);
  return value.replace(UNSAFE_TEXT, (c) => {
    const code = c.charCodeAt(0);
    return (
      NAMED_ESCAPES[c] ??
      (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`)
    );
  });
}

function detailLine(details: Record<string, unknown> | undefined): string | undefined {
  if (!details || typeof details !== 'object') return undefined;
  const parts = Object.entries(details)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${printable(k)}=${printable(typeof v === 'string' ? v : JSON.stringify(v))}`);
  return parts.length ? parts.join('  ') : undefined;
}

export type ShowFlags = SourceFlags & { json?: boolean };

/** `ripcord audit show`. */
export async function show(deployment: string, flags: ShowFlags): Promise<void> {
  const verifier = verifierFor(flags);
  const from = auditSource(undefined, flags);
  const entries = await from.read();
  const verdict = verifyChain(entries, verifier ? { verifier } : {});
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
    const workflows = [...new Set(records.map((r) => printable(r.workflowId)))].join(', ');
    say(`audit trail for ${printable(deployment)}${workflows ? ` (${workflows})` : ''} from ${from.where}`);
    say(
      verdict.ok
        ? `chain: all ${verdict.count} records verified${verifier ? ' and signed by a trusted audit key' : ''}`
        : `chain: DOES NOT VERIFY: ${printable(describeChainFailure(verdict))}`,
    );
    if (records.length === 0) {
      say('no records for this deployment');
    } else {
      const rows: string[][] = [];
      for (const r of records) {
        rows.push([r.seq ?? '?', r.at, r.kind, r.actor, r.summary].map(printable));
        const detail = detailLine(r.details);
        if (detail) rows.push(['', '', '', '', `  ${detail}`]);
      }
      for (const line of formatTable(['SEQ', 'AT', 'KIND', 'ACTOR', 'SUMMARY'], rows)) say(line);
      const plans = [...new Set(records.map((r) => r.planHash).filter(Boolean))].map(printable);
      if (plans.length) say(`plan${plans.length > 1 ? 's' : ''}: ${plans.join(', ')}`);
    }
  }
  if (!verdict.ok) process.exitCode = EXIT.refusedOrFailed;
  else if (records.length === 0) process.exitCode = EXIT.refusedOrFailed;
}

export interface KeygenFlags {
  out: string;
  kid: string;
}

/** `ripcord audit keygen`. */
export async function keygen(flags: KeygenFlags): Promise<void> {
  let written;
  try {
    written = await writeAuditKey(flags.out, flags.kid);
  } catch (err) {
    throw new UserFacingError((err as Error).message, EXIT.usage);
  }
  process.stdout.write(
    `audit key ${written.kid}:\n` +
      `  private: ${written.privateKeyFile} (mode 0600; the worker's --audit-key)\n` +
      `  public:  ${written.publicKeyFile} (for audit verify --key)\n`,
  );
}

const ROLE_NAME = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;

export interface InitDbFlags {
  db?: string;
  workerRole: string;
  readerRole?: string;
}

/** `ripcord audit init-db`. */
export async function initDb(flags: InitDbFlags): Promise<void> {
  const db = flags.db || process.env.RIPCORD_AUDIT_DB || undefined;
  if (!db) throw new UserFacingError('--db <url> is required (or $RIPCORD_AUDIT_DB)', EXIT.usage);
  for (const [flag, role] of [
    ['--worker-role', flags.workerRole],
    ['--reader-role', flags.readerRole],
  ] as const) {
    if (role !== undefined && !ROLE_NAME.test(role)) {
      throw new UserFacingError(
        `${flag} must be a PostgreSQL role name, got ${JSON.stringify(role)}`,
        EXIT.usage,
      );
    }
  }
  const url = databaseUrl(db);
  const { AUDIT_TABLE, auditGrants, describeDatabase, initAuditSchema } = postgres();
  const where = describeDatabase(url);
  try {
    await initAuditSchema(url);
  } catch (err) {
    throw new UserFacingError(`cannot create ${AUDIT_TABLE} in ${where}: ${(err as Error).message}`);
  }
  process.stdout.write(
    `${where}: table ${AUDIT_TABLE}, its index and append-only triggers are in place.\n` +
      "Grant the worker (and readers) no more than this, as the table's owner:\n" +
      auditGrants(flags.workerRole, flags.readerRole)
        .map((line) => `  ${line}\n`)
        .join(''),
  );
}
