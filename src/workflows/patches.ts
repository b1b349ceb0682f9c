/**
 * Ids of the guardian's workflow patches (`patched(id)`): each marks a change
 * that running guardians recorded before it must not see, so they replay the
 * old branch while new guardians take the new one (docs/operations.md,
 * "Upgrading guardians safely"). The report reads the markers back to know
 * which rule a guardian decided with.
 */

/**
 * Guardians started before the rollback lock existed replay without it
 * (their histories have no lock commands); new ones take their turn.
 */
export const ROLLBACK_LOCK_PATCH = 'rollback-lock-per-service';

/**
 * Guardians whose history was written before a dismissed confirmation
 * refunded part of its evidence (signal-monitor.ts) replay with the old
 * decision rule, so their verdicts, and the commands that follow, stay the same.
 */
export const DECISION_REFUND_PATCH = 'decision-refund-dismissed';

/** Guardians started before health reads became local activities replay with the activity they scheduled. */
export const LOCAL_HEALTH_READS_PATCH = 'local-health-reads';

/**
 * Bookkeeping overlapped with the work it does not gate: the decision's audit
 * record is written while the plan is built, and the plan's while the
 * rollback lock is taken. Records still land one after the other (each is
 * awaited before the next is started), so the audit chain keeps its order,
 * and every record is in before the step it precedes starts. Guardians
 * recorded before the patch replay the sequential order; each wait cost a
 * workflow task, about 60 ms on the dev server (bench/results/overhead.md).
 */
export const OVERLAPPED_BOOKKEEPING_PATCH = 'overlapped-bookkeeping';

/**
 * A rehearsal (replayed health) lives apart from live guardians: it supersedes
 * nobody at admission and queues on its own rollback lock
 * (`ripcord-rollback-lock/<env>/<service>/rehearsal`). Rehearsals admitted
 * before the patch replay the supersede activity they scheduled. Live
 * guardians never take this branch, so their histories are unchanged.
 */
export const REHEARSAL_APART_PATCH = 'rehearsal-apart';

/**
 * A rehearsal compresses its data, not people: the approval timeout and the
 * escalation wait stay in real time under `speed` (issue 17). Only guardians
 * with a speed other than 1 ask; rehearsals that reached such a wait before
 * the patch replay the compressed timer they started.
 */
export const HUMAN_WAITS_REAL_TIME_PATCH = 'human-waits-real-time';

/**
 * A watch that ends without evidence of health escalates instead of promoting
 * (finishWatch in src/decision/engine.ts, issue 17). Asked only when the new
 * rule would end a watch differently from the old one, so every other history
 * is unchanged; guardians whose watch ended promoted before the patch replay
 * the promotion they recorded.
 */
export const EVIDENCE_TO_PROMOTE_PATCH = 'evidence-to-promote';
