/** Rollback targets behind one interface (DESIGN §2, §8); real ones arrive with the next issue. */
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
export { safeUrl } from './shared/safe-url';
