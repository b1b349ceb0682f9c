import type { z } from 'zod';

/**
 * Finds which keys the schema accepts at a path of the document, so that an
 * unknown key can be answered with the known ones (and a likely typo). It
 * reads zod's public schema definitions; when it cannot tell, it says nothing.
 */

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: readonly z.ZodType[];
  discriminator?: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  values?: unknown[];
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Strips wrappers (optional, default, pipe...) down to the schema that checks the value. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let depth = 0; depth < 20; depth++) {
    const def = defOf(current);
    if (def.innerType !== undefined) current = def.innerType;
    else if (def.type === 'pipe' && def.in !== undefined) current = def.in;
    else return current;
  }
  return current;
}

function chooseUnionOption(def: Def, value: unknown): z.ZodType | undefined {
  if (def.discriminator === undefined || def.options === undefined) return undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  const tag = (value as Record<string, unknown>)[def.discriminator];
  return def.options.find((option) => {
    const field = defOf(unwrap(option)).shape?.[def.discriminator ?? ''];
    return field !== undefined && (defOf(unwrap(field)).values ?? []).includes(tag);
  });
}

function step(schema: z.ZodType, segment: string | number, value: unknown): z.ZodType | undefined {
  const inner = resolveUnion(unwrap(schema), value);
  if (inner === undefined) return undefined;
  const def = defOf(inner);
  if (def.type === 'object') return def.shape?.[String(segment)];
  if (def.type === 'array') return def.element;
  if (def.type === 'record') return def.valueType;
  return undefined;
}

function resolveUnion(schema: z.ZodType, value: unknown): z.ZodType | undefined {
  const def = defOf(schema);
  if (def.type !== 'union') return schema;
  const option = chooseUnionOption(def, value);
  return option === undefined ? undefined : unwrap(option);
}

function childValue(value: unknown, segment: string | number): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  return Object.prototype.hasOwnProperty.call(value, segment)
    ? (value as Record<string | number, unknown>)[segment]
    : undefined;
}

export function knownKeysAt(
  root: z.ZodType,
  path: ReadonlyArray<string | number>,
  document: unknown,
): string[] | undefined {
  let schema: z.ZodType | undefined = root;
  let value = document;
  for (const segment of path) {
    if (schema === undefined) return undefined;
    schema = step(schema, segment, value);
    value = childValue(value, segment);
  }
  if (schema === undefined) return undefined;
  const object = resolveUnion(unwrap(schema), value);
  if (object === undefined) return undefined;
  const shape = defOf(object).shape;
  return shape === undefined ? undefined : Object.keys(shape);
}

/** The known key closest to a misspelt one, if it is close enough to be a likely typo. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { name: candidate, distance };
  }
  if (best === undefined) return undefined;
  return best.distance <= Math.max(1, Math.floor(best.name.length / 3)) ? best.name : undefined;
}

function editDistance(a: string, b: string): number {
  if (a.length > 200 || b.length > 200) return Math.abs(a.length - b.length) + 200;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
