import { type Client, isGrpcServiceError, ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { connectClient } from '../client/connect';
import {
  describeConnection,
  loadConnectionProfile,
  ProfileError,
  type ResolvedConnection,
} from '../client/connection-profile';
import { GuardianNotFoundError, webUiLink } from '../client/guardians';
import { UserFacingError } from './errors';
import { serviceListLine } from '../client/web-ui-links';
import { EXIT } from './exit-codes';
import { firstLine } from '../text/lines';

/** Where the links point when a profile names no Web UI: the embedded dev server's. */
export const DEFAULT_WEB_UI = 'http://127.0.0.1:8233';

/** One connected client, with what every command prints: the Web UI link of what it touched. */
export interface TemporalSession {
  conn: ResolvedConnection;
  client: Client;
  link(workflowId: string): string;
  /** The Web UI list of the guardians of that guardian's service, as a line to print (undefined for other ids). */
  serviceLink(workflowId: string): string | undefined;
  close(): Promise<void>;
}

/** A profile that cannot be loaded is a usage problem (exit 2), named by the loader. */
export function loadProfileOrExplain(profile: string | undefined): ResolvedConnection {
  try {
    // An empty RIPCORD_PROFILE (a CI variable templated to nothing) means unset, not a profile named "".
    return loadConnectionProfile(profile || process.env.RIPCORD_PROFILE || 'local');
  } catch (err) {
    if (err instanceof ProfileError) throw new UserFacingError(err.message, EXIT.usage);
    throw err;
  }
}

export function linkFor(conn: ResolvedConnection, workflowId: string): string {
  return webUiLink(conn.webUi ?? DEFAULT_WEB_UI, conn.namespace, workflowId);
}

export async function openSession(profile: string | undefined): Promise<TemporalSession> {
  const conn = loadProfileOrExplain(profile);
  let client: Client;
  try {
    client = await connectClient(conn);
  } catch (err) {
    throw new UserFacingError(
      `cannot reach Temporal at ${describeConnection(conn)}: ${firstLine((err as Error).message)} ` +
        '(is the server up? locally: ripcord dev server)',
      EXIT.refusedOrFailed,
    );
  }
  return {
    conn,
    client,
    link: (workflowId) => linkFor(conn, workflowId),
    serviceLink: (workflowId) => serviceListLine(conn.webUi ?? DEFAULT_WEB_UI, conn.namespace, workflowId),
    close: () => client.connection.close(),
  };
}

/**
 * What went wrong talking to Temporal, as one line a person can act on; other
 * errors pass unchanged (a bug should still show as one).
 */
export function explainTemporalError(err: unknown): unknown {
  if (err instanceof UserFacingError) return err;
  if (err instanceof GuardianNotFoundError) return new UserFacingError(err.message, EXIT.refusedOrFailed);
  if (err instanceof WorkflowNotFoundError) {
    return new UserFacingError(`no such guardian: ${firstLine(err.message)}`, EXIT.refusedOrFailed);
  }
  if (err instanceof ServiceError) {
    const cause = err.cause ? `: ${firstLine(err.cause.message)}` : '';
    return new UserFacingError(`Temporal: ${firstLine(err.message)}${cause}`, EXIT.refusedOrFailed);
  }
  if (isGrpcServiceError(err)) {
    return new UserFacingError(`Temporal: ${firstLine(err.details || err.message)}`, EXIT.refusedOrFailed);
  }
  return err;
}

/** Runs `fn` with a session and always closes it, so the process can exit. */
export async function withSession<T>(
  profile: string | undefined,
  fn: (session: TemporalSession) => Promise<T>,
): Promise<T> {
  const session = await openSession(profile);
  try {
    return await fn(session);
  } catch (err) {
    throw explainTemporalError(err);
  } finally {
    await session.close();
  }
}
