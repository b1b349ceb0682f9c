import type { z } from 'zod';
import { crossFieldIssues, viewOfPolicy } from '../cross-checks';
import { PolicyShape } from './shape';

/**
 * The rollback policy: every field with its defaults (PolicyShape) plus the
 * rules between fields. `Policy.parse` accepts exactly what the loader accepts.
 */
export const Policy = PolicyShape.superRefine((policy, ctx) => {
  for (const issue of crossFieldIssues(viewOfPolicy(policy))) {
    ctx.addIssue({
      code: 'custom',
      path: issue.path,
      message: issue.message,
      params: { expected: issue.expected, found: issue.found },
    });
  }
});
export type Policy = z.infer<typeof Policy>;
