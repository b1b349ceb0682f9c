import { extname, join } from 'node:path';

/**
 * What the supervisor and a demo service child agree on. Kept apart from the
 * service so the supervisor does not load the HTTP server and prom-client.
 */

/**
 * The demo service program, beside this file: demo-service.ts run through tsx when the sources run
 * (tests, or bin/ripcord.js after an edit), demo-service.js when the CLI runs compiled from dist/.
 */
export const DEMO_SERVICE_ENTRY = join(__dirname, `demo-service${extname(__filename)}`);

/**
 * Exit code of a service that drained after SIGHUP and wants to be started
 * again from `current` (128 + SIGHUP, the shell's convention).
 */
export const RESTART_EXIT_CODE = 129;

/** Sent over the IPC channel once the service listens. */
export interface ListeningMessage {
  type: 'listening';
  port: number;
  service: string;
  version: string;
  digest: string;
  /** The release directory actually served (the target of `current`, resolved). */
  release: string;
  behaviour: string;
}

export function isListeningMessage(value: unknown): value is ListeningMessage {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'listening';
}

/** Node arguments that let a child run the entry: tsx's CommonJS hook, resolved from here, for a .ts file. */
export function tsxNodeArgs(): string[] {
  return DEMO_SERVICE_ENTRY.endsWith('.ts') ? ['--require', require.resolve('tsx/cjs')] : [];
}
