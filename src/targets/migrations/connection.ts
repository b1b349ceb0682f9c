import { Client, DatabaseError } from 'pg';
import { type SecretProvider, redactSecrets } from '../../security/secrets';
import { PermanentStepError, StepVerificationError } from '../errors';
import { resolveStepSecret } from '../support/step-secret';
import type { StepContext } from '../types';

const CONNECT_TIMEOUT_MS = 10_000;

/** Worth retrying as it is (another migration run holds the lock...); the message is ours. */
export class TransientMigrationError extends Error {
  override readonly name = 'TransientMigrationError';
}

/**
 * Opens one connection for one call of the target and closes it again. The
 * connection string is a secret: it is resolved here, at the last moment, and
 * every error that leaves this function is rebuilt from a redacted message
 * (pg and URL parsing can quote the string, with its password, in theirs), so
 * no error object from pg, with its extra fields, travels any further.
 */
export async function withDatabase<T>(
  connectionRef: string,
  secrets: SecretProvider,
  ctx: Pick<StepContext, 'signal'>,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const connectionString = resolveStepSecret(connectionRef, secrets, 'database connection');
  const secretParts = secretsIn(connectionString);
  if (ctx.signal.aborted) throw new Error('the step was cancelled before it reached the database');

  let client: Client | undefined;
  // Ending the connection is how a cancelled step stops: PostgreSQL rolls back the open transaction.
  const onAbort = () => void client?.end().catch(() => undefined);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    client = new Client({
      connectionString,
      application_name: 'ripcord',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    // A connection that dies between queries emits 'error'; the next query fails with it anyway.
    client.on('error', () => undefined);
    await client.connect();
    return await work(client);
  } catch (error) {
    throw safeError(error, secretParts);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    await client?.end().catch(() => undefined);
  }
}

/** BEGIN … COMMIT around `work`; ROLLBACK when it throws. */
export async function inTransaction<T>(client: Client, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

// The whole string, and its password on its own (an error may quote just that). Short passwords are left
// out: redacting "ab" everywhere would mangle messages, and pg never quotes a password alone.
function secretsIn(connectionString: string): string[] {
  const values = [connectionString];
  try {
    const url = new URL(connectionString);
    for (const part of [url.password, safeDecode(url.password)]) if (part.length >= 4) values.push(part);
  } catch {
    // Not a URL (pg also takes "host=... password=..."): the whole string is all we can name.
    const keyword = /password\s*=\s*'?([^'\s]+)/i.exec(connectionString)?.[1];
    if (keyword !== undefined && keyword.length >= 4) values.push(keyword);
  }
  return values;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

// SQLSTATE classes no retry fixes: authorization (28), unknown database (3D) or schema (3F), syntax or
// undefined objects (42), data (22), integrity (23), unsupported features (0A).
const PERMANENT_CLASSES = new Set(['28', '3D', '3F', '42', '22', '23', '0A']);

function safeError(error: unknown, secrets: string[]): Error {
  const message = redactSecrets(error instanceof Error ? error.message : String(error), secrets);
  if (error instanceof PermanentStepError) return new PermanentStepError(message);
  if (error instanceof StepVerificationError) return new StepVerificationError(message);
  if (error instanceof TransientMigrationError) return new TransientMigrationError(message);
  if (error instanceof DatabaseError) {
    const code = error.code ?? '';
    const text = `PostgreSQL: ${message}${code === '' ? '' : ` (SQLSTATE ${code})`}`;
    return PERMANENT_CLASSES.has(code.slice(0, 2)) ? new PermanentStepError(text) : new Error(text);
  }
  // Connection refused, timeouts, a connection cut: worth retrying.
  return new Error(`PostgreSQL unreachable or connection lost: ${message}`);
}
