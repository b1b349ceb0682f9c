import { z } from 'zod';
import { PolicyShape } from './schema/shape';

/**
 * The JSON Schema of a policy as an author writes it (defaults optional), for
 * editor completion. Rules between fields cannot be expressed in JSON Schema;
 * `ripcord policy validate` checks those.
 */
export function policyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(PolicyShape, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return {
    ...schema,
    $id: 'https://ripcord.dev/schemas/policy/v1.json',
    title: 'ripcord rollback policy (ripcord/v1)',
    description:
      'When to roll back a deployment, how, and who must approve. Cross-field rules are checked by `ripcord policy validate`.',
  };
}
