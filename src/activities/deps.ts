import type { Client } from '@temporalio/client';
import type { SourceRegistry } from '../sources';
import type { TargetRegistry } from '../targets';
import type { ActionTokenVerifier } from './authorize';
import type { AuditSink } from './audit';
import type { Notifier } from './notify';

/** What the activities need from the outside world, injected so that tests pass fakes. */
export interface ActivityDeps {
  now: () => Date;
  /** For superseding older guardians; without it supersede does nothing. */
  client?: Client;
  sources: SourceRegistry;
  /** Refuse guardians whose health is a replayed scenario (production workers: real targets, real data). */
  refuseReplay?: boolean;
  targets: TargetRegistry;
  audit: AuditSink;
  notifier: Notifier;
  /** Verifies signed action tokens; without it requests are trusted as claimed (see actionTokenVerifier). */
  tokens?: ActionTokenVerifier;
  /** A decide plane: the task queue of the execute plane that serves an environment (admission tells the guardian). */
  stepTaskQueueFor?: (environment: string) => string;
}
