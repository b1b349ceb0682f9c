/** The dry-run target: every action on a simulated production, recorded in an append-only journal. */
export { RecordingTarget, DEFAULT_JOURNAL_FILE, type RecordingTargetOptions } from './target';
export type { StepFault } from './faults';
export { JournalView, type JournalEntry } from './journal';
export type { SimulatedState, StateChange } from './state';
