import { admitDeployment } from './admit';

/** What activities need from the outside world, injected so tests can pass fakes. */
export interface ActivityDeps {
  now: () => Date;
}

export function createActivities(deps: ActivityDeps) {
  return {
    admitDeployment: admitDeployment(deps.now),
  };
}

export type GuardianActivities = ReturnType<typeof createActivities>;
