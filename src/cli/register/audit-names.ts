import path from 'node:path';

/**
 * The audit trail's default file and PostgreSQL table, as src/activities/audit
 * names them (DEFAULT_AUDIT_FILE in jsonl-sink.ts, AUDIT_TABLE in
 * postgres-sink.ts), for the help of `audit` and `report`. Importing them from
 * there would load the sinks (the hash chain, pg, the Temporal SDK's failure
 * types) for every command line ripcord parses; a unit test holds the copies
 * to the originals (test/unit/cli/module-loading.test.ts).
 */
export const DEFAULT_AUDIT_FILE = path.join('.ripcord', 'audit.jsonl');
export const AUDIT_TABLE = 'ripcord_audit';
