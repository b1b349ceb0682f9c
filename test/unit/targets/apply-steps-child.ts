// Run by recording.test.ts in separate processes: applies the given steps through its own
// RecordingTarget on a shared journal and prints which ones it applied.
import { readFileSync } from 'node:fs';
import type { PlannedStep, RollbackPlan } from '../../../src/model/plan';
import { RecordingTarget } from '../../../src/targets';
import type { DeploymentInfo } from '../../../src/model/guardian';

interface Spec {
  journalFile: string;
  deployment: DeploymentInfo;
  plan: RollbackPlan;
  steps: PlannedStep[];
}

async function main(): Promise<void> {
  const spec = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as Spec;
  const target = new RecordingTarget({ journalFile: spec.journalFile, pauseScale: 0 });
  const ctx = {
    deployment: spec.deployment,
    planHash: spec.plan.planHash,
    heartbeat: () => undefined,
    sleep: async () => undefined,
    signal: new AbortController().signal,
  };
  const applied: boolean[] = [];
  for (const step of spec.steps) applied.push((await target.apply(step, ctx)).applied);
  process.stdout.write(JSON.stringify(applied));
}

void main();
