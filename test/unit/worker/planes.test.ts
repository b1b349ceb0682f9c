import { executeTaskQueue } from '../../../src/model/planes';
import { planeLayout, withStepRouting } from '../../../src/worker/planes';
import type { ActivityDeps, GuardianActivities } from '../../../src/activities';

const activities = Object.fromEntries(
  [
    'admitDeployment',
    'evaluateHealth',
    'buildRollbackPlan',
    'executeStep',
    'compensateStep',
    'recordAudit',
  ].map((name) => [name, async () => name]),
) as unknown as GuardianActivities;

describe('what each plane runs, and where', () => {
  test('all: every activity and the workflows on the profile queue', () => {
    const layout = planeLayout('all', 'ripcord', activities);
    expect(layout).toMatchObject({ taskQueue: 'ripcord', workflows: true });
    expect(Object.keys(layout.activities).sort()).toEqual(Object.keys(activities).sort());
  });

  test('decide: the workflows and everything but the steps', () => {
    const layout = planeLayout('decide', 'ripcord', activities);
    expect(layout).toMatchObject({ taskQueue: 'ripcord', workflows: true });
    expect(Object.keys(layout.activities)).not.toContain('executeStep');
    expect(Object.keys(layout.activities)).not.toContain('compensateStep');
    expect(Object.keys(layout.activities)).toContain('buildRollbackPlan');
  });

  test("execute: only the steps, on its environment's queue, no workflows", () => {
    const layout = planeLayout('execute', 'ripcord', activities, 'production');
    expect(layout).toMatchObject({ taskQueue: 'ripcord--execute--production', workflows: false });
    expect(Object.keys(layout.activities).sort()).toEqual(['compensateStep', 'executeStep']);
    expect(() => planeLayout('execute', 'ripcord', activities)).toThrow(/one environment/);
  });

  test("a decide plane's admission routes each environment's steps to its execute queue; the others do not", () => {
    const deps = {} as ActivityDeps;
    expect(withStepRouting(deps, 'decide', 'ripcord').stepTaskQueueFor?.('staging')).toBe(
      executeTaskQueue('ripcord', 'staging'),
    );
    expect(withStepRouting(deps, 'all', 'ripcord').stepTaskQueueFor).toBeUndefined();
    expect(withStepRouting(deps, 'execute', 'ripcord').stepTaskQueueFor).toBeUndefined();
  });
});
