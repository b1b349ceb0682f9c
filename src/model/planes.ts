/**
 * The two planes of a deployment's rollback (docs/operations.md, "Two
 * planes"): the decide plane runs the guardian and release workflows, reads
 * health and keeps the books, with no credential for production; the execute
 * plane of each environment runs only its rollback steps, on a task queue of
 * its own that the guardian addresses by the deployment's environment.
 */
export type Plane = 'all' | 'decide' | 'execute';

export const PLANES: readonly Plane[] = ['all', 'decide', 'execute'];

/** The execute plane's task queue for one environment, next to the decide plane's queue. */
export function executeTaskQueue(decideTaskQueue: string, environment: string): string {
  return `${decideTaskQueue}--execute--${environment}`;
}
