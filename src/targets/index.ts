/**
 * Rollback targets behind one interface (docs/architecture.md §2, §8). Each target folder
 * keeps its implementation in target.ts and re-exports it from index.ts;
 * what several targets use (pauses, outside calls, response schemas) is in shared/.
 */
export type { ApplyResult, RollbackTarget, StepContext, ActionType } from './types';
export { PermanentStepError, StepVerificationError } from './errors';
export { TargetRegistry, dryRunTargetRegistry } from './registry';
export {
  RecordingTarget,
  DEFAULT_JOURNAL_FILE,
  JournalView,
  type RecordingTargetOptions,
  type SimulatedState,
  type StateChange,
  type StepFault,
  type JournalEntry,
} from './recording';
export { safeUrl } from './support/safe-url';
