import fc from 'fast-check';
import { stringify } from 'yaml';
import {
  explainPolicy,
  parsePolicyText,
  PolicyValidationError,
  validatePolicyData,
  type LoadedPolicy,
} from '../../../src/policy';
import { jsonSyntaxError } from '../../../src/policy/json-syntax';
import { EXAMPLE_FILES, exampleData, exampleText } from './helpers';

type Path = Array<string | number>;

/** Every path in a document, containers included, so that a mutation can hit any level. */
function allPaths(value: unknown, prefix: Path = []): Path[] {
  const paths: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((item, i) => paths.push(...allPaths(item, [...prefix, i])));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) paths.push(...allPaths(item, [...prefix, key]));
  }
  return paths;
}

type Mutation =
  | { op: 'delete'; at: number }
  | { op: 'replace'; at: number; value: unknown }
  | { op: 'insert'; at: number; key: string; value: unknown };

const garbage = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.constantFrom(
    '',
    '${secret:}',
    '${secret:X}',
    'sha256:00',
    '{{group}}',
    'canary',
    'absolute',
    -1,
    0,
    1e308,
  ),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: garbage }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    key: fc.string({ maxLength: 12 }),
    value: garbage,
  }),
);

function apply(document: Record<string, unknown>, m: Mutation): unknown {
  const paths = allPaths(document);
  const path = paths[m.at % paths.length] ?? [];
  if (path.length === 0) return m.op === 'replace' ? m.value : document;
  const parent = path
    .slice(0, -1)
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], document);
  const key = path[path.length - 1]!;
  const container = parent as Record<string | number, unknown>;
  if (m.op === 'delete') {
    if (Array.isArray(container)) container.splice(Number(key), 1);
    else delete container[key];
  } else if (m.op === 'replace') {
    container[key] = m.value;
  } else {
    const target = container[key];
    if (Array.isArray(target)) target.push(m.value);
    else if (typeof target === 'object' && target !== null)
      (target as Record<string, unknown>)[m.key] = m.value;
    else container[key] = { [m.key]: m.value };
  }
  return document;
}

/** The only acceptable outcomes: a usable policy, or a validation error listing issues. */
function expectPolicyOrValidationError(run: () => LoadedPolicy): void {
  let loaded: LoadedPolicy;
  try {
    loaded = run();
  } catch (error) {
    if (!(error instanceof PolicyValidationError)) throw error;
    expect(error.issues.length).toBeGreaterThan(0);
    for (const issue of error.issues) {
      expect(typeof issue.path).toBe('string');
      expect(issue.message.length).toBeGreaterThan(0);
    }
    return;
  }
  expect(loaded.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(explainPolicy(loaded.policy, { defaultedPaths: loaded.defaultedPaths }).length).toBeGreaterThan(0);
}

describe('random mutations of the examples never crash the loader', () => {
  it('mutated documents validate or fail with issues', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...EXAMPLE_FILES),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        (file, ms) => {
          let document: unknown = exampleData(file);
          for (const m of ms) {
            if (typeof document !== 'object' || document === null) break;
            document = apply(document as Record<string, unknown>, m);
          }
          const result = validatePolicyData(document);
          if (!result.ok) expect(result.issues.length).toBeGreaterThan(0);
          let text: string;
          try {
            text = stringify(document);
          } catch {
            return; // not every JS value has a YAML form; the data path above covered it
          }
          expectPolicyOrValidationError(() => parsePolicyText(text, { filename: `${file}-mutated.yaml` }));
        },
      ),
      { numRuns: 250 },
    );
  });

  it('mutated text validates or fails with issues', () => {
    const edit = fc.record({ at: fc.nat(), remove: fc.nat({ max: 8 }), insert: fc.string({ maxLength: 8 }) });
    fc.assert(
      fc.property(
        fc.constantFrom(...EXAMPLE_FILES),
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        (file, edits) => {
          let text = exampleText(file);
          for (const e of edits) {
            const at = e.at % (text.length + 1);
            text = text.slice(0, at) + e.insert + text.slice(at + e.remove);
          }
          expectPolicyOrValidationError(() => parsePolicyText(text, { filename: `${file}-edited.yaml` }));
          expectPolicyOrValidationError(() => parsePolicyText(text, { filename: `${file}-edited.json` }));
        },
      ),
      { numRuns: 250 },
    );
  });

  it('self-referencing YAML does not hang or crash', () => {
    for (const text of ['a: &x [*x]\n', 'metadata: &m { owners: *m }\nsignals: &s [*s]\n']) {
      expectPolicyOrValidationError(() => parsePolicyText(text, { filename: 'cycle.yaml' }));
    }
  });
});

describe('the JSON syntax check agrees with JSON.parse', () => {
  const accepts = (text: string) => {
    try {
      JSON.parse(text);
      return true;
    } catch {
      return false;
    }
  };

  it('accepts every serialised JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(0, 2), (value, indent) => {
        expect(jsonSyntaxError(JSON.stringify(value, null, indent))).toBeUndefined();
      }),
    );
  });

  it('rejects exactly what JSON.parse rejects', () => {
    const jsonish = fc.stringMatching(/^[{}[\]",:0-9eE.+\-a-z \n\\]{0,30}$/);
    fc.assert(
      fc.property(fc.oneof(jsonish, fc.string({ maxLength: 20 })), (text) => {
        expect(jsonSyntaxError(text) === undefined).toBe(accepts(text));
      }),
      { numRuns: 2000 },
    );
  });
});
