import path from 'node:path';
import { createActivities } from '../../../src/activities';
import { defaultActivityDeps } from '../../../src/worker/composition';
import type { GuardianActivityContract } from '../../../src/model/activity-contract';
import { PERMANENT_STEP_ERROR } from '../../../src/model/plan';
import { examplePlan } from '../targets/helpers';
import { failureOf, runActivity, tempDir } from './helpers';

const CONTRACT: Array<keyof GuardianActivityContract> = [
  'admitDeployment',
  'supersedeOlderGuardians',
  'verifySupersede',
  'confirmRollbackTurn',
  'rollbackLockMember',
  'evaluateHealth',
  'readHealthInterval',
  'buildRollbackPlan',
  'executeStep',
  'compensateStep',
  'authorizeAction',
  'recordAudit',
  'notify',
  'readReleaseInterval',
  'buildReleasePlan',
  'confirmMemberOrder',
];

describe('createActivities with the default dependencies', () => {
  test('provides every activity of the contract, and nothing else', () => {
    const activities = createActivities(defaultActivityDeps({ stateDir: tempDir() }));
    expect(Object.keys(activities).sort()).toEqual([...CONTRACT].sort());
  });

  test('in dry-run mode every step goes to the recording target under the state directory', async () => {
    const stateDir = tempDir();
    const deps = defaultActivityDeps({ stateDir, dryRun: true, pauseScale: 0 });
    const { plan, deployment } = await examplePlan('canary.yaml');
    const activities = createActivities(deps);
    for (const step of plan.steps) {
      const outcome = await runActivity(activities.executeStep, [
        {
          deployment,
          planHash: plan.planHash,
          step,
        },
      ]);
      expect(outcome.applied).toBe(true);
    }
    expect(deps.recording?.journalFile).toBe(path.join(stateDir, 'dry-run', 'journal.jsonl'));
    expect((await deps.recording!.view()).appliedCounts().size).toBe(plan.steps.length);
  });

  test('outside dry-run mode there are no real targets yet, so a step fails closed', async () => {
    const activities = createActivities(defaultActivityDeps({ stateDir: tempDir() }));
    const { plan, deployment } = await examplePlan('canary.yaml');
    const failure = await failureOf(() =>
      runActivity(activities.executeStep, [
        {
          deployment,
          planHash: plan.planHash,
          step: plan.steps[0]!,
        },
      ]),
    );
    expect(failure.type).toBe(PERMANENT_STEP_ERROR);
  });

  test('audit records go to <stateDir>/audit.jsonl', async () => {
    const stateDir = tempDir();
    const activities = createActivities(defaultActivityDeps({ stateDir }));
    await runActivity(activities.recordAudit, [
      {
        id: 'w#1',
        at: '2026-01-01T00:00:00Z',
        workflowId: 'w',
        deploymentId: 'd',
        service: 's',
        environment: 'e',
        policyHash: 'sha256:x',
        kind: 'admitted',
        actor: 'ripcord',
        summary: 'admitted',
        details: { version: '2.0.0', mode: 'auto', superseded: [] },
      },
    ]);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path.join(stateDir, 'audit.jsonl'), 'utf8')).toContain('"id":"w#1"');
  });
});
