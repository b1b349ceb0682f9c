import type { ActivityDeps, GuardianActivities } from '../activities';
import { executeTaskQueue, type Plane } from '../model/planes';

/** The activities that change production: only an execute plane (or a worker running both planes) has them. */
const STEP_ACTIVITIES = ['executeStep', 'compensateStep'] as const;

export interface PlaneLayout {
  /** The task queue this worker polls. */
  taskQueue: string;
  /** Whether it runs the workflows (guardians, releases, locks). */
  workflows: boolean;
  activities: Partial<GuardianActivities>;
}

/**
 * What one worker runs on which task queue, by plane:
 * - all (the embedded default): everything on the profile's task queue;
 * - decide: workflows and every activity but the steps, on the profile's
 *   task queue; the guardian sends steps to `<queue>--execute--<environment>`;
 * - execute: only the step and compensation activities of its environment,
 *   on that environment's queue.
 */
export function planeLayout(
  plane: Plane,
  baseTaskQueue: string,
  activities: GuardianActivities,
  environment?: string,
): PlaneLayout {
  switch (plane) {
    case 'all':
      return { taskQueue: baseTaskQueue, workflows: true, activities };
    case 'decide': {
      const decide: Partial<GuardianActivities> = { ...activities };
      for (const name of STEP_ACTIVITIES) delete decide[name];
      return { taskQueue: baseTaskQueue, workflows: true, activities: decide };
    }
    case 'execute': {
      if (!environment) throw new Error('an execute plane serves one environment: give it one');
      return {
        taskQueue: executeTaskQueue(baseTaskQueue, environment),
        workflows: false,
        activities: { executeStep: activities.executeStep, compensateStep: activities.compensateStep },
      };
    }
  }
}

/** A decide plane's admission tells each guardian its environment's execute queue; the other planes add nothing. */
export function withStepRouting(deps: ActivityDeps, plane: Plane, baseTaskQueue: string): ActivityDeps {
  if (plane !== 'decide') return deps;
  return { ...deps, stepTaskQueueFor: (environment) => executeTaskQueue(baseTaskQueue, environment) };
}
