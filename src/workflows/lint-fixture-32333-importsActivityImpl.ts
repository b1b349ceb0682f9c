import { createActivities } from '../activities';
export const x = createActivities;
