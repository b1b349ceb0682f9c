/**
 * The paths whose values the schema filled in because the author left them
 * out. Found by comparing the document with the parsed policy, so it can never
 * disagree with the defaults the schema actually applied.
 */
export function defaultedPaths(document: unknown, policy: unknown): string[] {
  const paths: string[] = [];
  walk(document, policy, [], paths);
  return paths;
}

function walk(written: unknown, effective: unknown, path: string[], out: string[]): void {
  if (Array.isArray(effective)) {
    if (!Array.isArray(written)) return;
    effective.forEach((item, i) => walk(written[i], item, [...path, String(i)], out));
    return;
  }
  if (typeof effective !== 'object' || effective === null) return;
  const writtenRecord =
    typeof written === 'object' && written !== null ? (written as Record<string, unknown>) : undefined;
  for (const [key, value] of Object.entries(effective)) {
    if (value === undefined) continue;
    const childPath = [...path, key];
    if (writtenRecord === undefined || !Object.prototype.hasOwnProperty.call(writtenRecord, key)) {
      out.push(childPath.join('.'));
      continue;
    }
    walk(writtenRecord[key], value, childPath, out);
  }
}

/** True when the value at `path` (or a section containing it) was filled in by a default. */
export function isDefaulted(defaulted: ReadonlySet<string>, path: string): boolean {
  const parts = path.split('.');
  for (let i = parts.length; i > 0; i--) {
    if (defaulted.has(parts.slice(0, i).join('.'))) return true;
  }
  return false;
}
