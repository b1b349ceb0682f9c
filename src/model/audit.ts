/** One audit record, as every sink stores it and every reader reads it. */

// ---- record and tell -----------------------------------------------------------

export type AuditKind =
  | 'admitted'
  | 'superseded'
  | 'decision'
  | 'plan'
  | 'action'
  | 'action-denied'
  | 'message-refused'
  | 'approval'
  | 'step'
  | 'compensation'
  | 'recovery'
  | 'outcome';

export interface AuditRecord {
  /** `${workflowId}#${sequence}`: appending the same record twice (an activity retry) stores it once. */
  id: string;
  at: string;
  workflowId: string;
  deploymentId: string;
  service: string;
  environment: string;
  policyHash: string;
  kind: AuditKind;
  actor: string;
  planHash?: string;
  summary: string;
  details?: Record<string, unknown>;
}

/** Where a stored audit record landed in its chain: the guardian keeps its last one as its trail's head. */
export interface AuditReceipt {
  seq: number;
  hash: string;
}
