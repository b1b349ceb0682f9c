import { createHash } from 'node:crypto';

/**
 * The key under which a target records a step: the same deployment, plan and
 * step always give the same key, so a retried or replayed step is recognised
 * and applied at most once; a new plan gives new keys.
 */
export function stepIdempotencyKey(deploymentId: string, planHash: string, index: number): string {
  return createHash('sha256').update(`${deploymentId}|${planHash}|${index}`, 'utf8').digest('hex');
}
