import path from 'node:path';
import type { Client } from '@temporalio/client';
import { ReplayHealthSource, ScenarioCache, SourceRegistry } from '../sources';
import { PrometheusHealthSource } from '../sources/prometheus';
import { RecordingTarget, type StepFault, TargetRegistry, dryRunTargetRegistry } from '../targets';
import type { ActionTokenVerifier } from './authorize';
import { type AuditSink, JsonlAuditSink } from './audit';
import { LogNotifier, type Notifier } from './notify';

/** What the activities need from the outside world, injected so that tests pass fakes. */
export interface ActivityDeps {
  now: () => Date;
  /** For superseding older guardians; without it supersede does nothing. */
  client?: Client;
  sources: SourceRegistry;
  targets: TargetRegistry;
  audit: AuditSink;
  notifier: Notifier;
  /** Verifies signed action tokens (security issue); without it requests are trusted as claimed. */
  tokens?: ActionTokenVerifier;
}

export interface DefaultActivityDepsOptions {
  /** Where ripcord keeps its files; default `.ripcord` in the working directory. */
  stateDir?: string;
  client?: Client;
  /**
   * Route every rollback action to the recording target (rehearse, demo,
   * tests). Off, actions need real targets, which arrive with the next issue:
   * until then every step fails closed.
   */
  dryRun?: boolean;
  /** The recording target's journal; default `<stateDir>/dry-run/journal.jsonl`. */
  journalFile?: string;
  /** Multiplies the recording target's pauses between traffic stages (rehearse: 1/speed). */
  pauseScale?: number;
  /** Failure injection for the recording target. */
  faults?: StepFault[];
  /** Relative scenario paths are resolved from here; default the working directory. */
  baseDir?: string;
  now?: () => Date;
}

export interface DefaultActivityDeps extends ActivityDeps {
  /** The recording target, when dry-run mode is on (to report its journal). */
  recording?: RecordingTarget;
}

/** The real defaults: replay and Prometheus sources, recording target in dry-run mode, JSONL audit, log notifier. */
export function defaultActivityDeps(options: DefaultActivityDepsOptions = {}): DefaultActivityDeps {
  const stateDir = options.stateDir ?? '.ripcord';
  const sources = new SourceRegistry({
    replay: new ReplayHealthSource(new ScenarioCache(options.baseDir)),
    prometheus: new PrometheusHealthSource(),
  });
  const recording = options.dryRun
    ? new RecordingTarget({
        journalFile: options.journalFile ?? path.join(stateDir, 'dry-run', 'journal.jsonl'),
        ...(options.pauseScale !== undefined ? { pauseScale: options.pauseScale } : {}),
        ...(options.faults !== undefined ? { faults: options.faults } : {}),
      })
    : undefined;
  return {
    now: options.now ?? (() => new Date()),
    ...(options.client !== undefined ? { client: options.client } : {}),
    sources,
    targets: recording ? dryRunTargetRegistry(recording) : new TargetRegistry({}),
    audit: new JsonlAuditSink(path.join(stateDir, 'audit.jsonl')),
    notifier: new LogNotifier(),
    ...(recording ? { recording } : {}),
  };
}
