import type { GuardianActivities } from '../activities';
export type X = GuardianActivities;
