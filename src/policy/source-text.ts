import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
} from 'yaml';
import type { LineLocator, PathSegments, PolicyIssue } from './issues';
import { jsonSyntaxError } from './json-syntax';

/** A policy file read into plain data, with a way back from a path to the line it came from. */
export interface SourceDocument {
  data: unknown;
  locate: LineLocator;
}

const MAX_ALIASES = 100;

/**
 * Reads YAML or JSON (JSON is read by the YAML parser too, which keeps line
 * numbers for both; a `.json` file must also be strict JSON). Syntax problems
 * come back as issues with their line.
 */
export function readSourceText(
  text: string,
  options: { json?: boolean } = {},
): { document: SourceDocument } | { issues: PolicyIssue[] } {
  if (options.json) {
    const error = jsonSyntaxError(text);
    if (error !== undefined) {
      return {
        issues: [
          {
            path: '',
            line: text.slice(0, error.offset).split('\n').length,
            expected: 'valid JSON',
            found: 'a syntax error',
            message: `not valid JSON: ${error.message}`,
          },
        ],
      };
    }
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      issues: doc.errors.map((error) => {
        const line = error.linePos?.[0].line;
        return {
          path: '',
          ...(line === undefined ? {} : { line }),
          expected: 'valid YAML or JSON',
          found: error.code.toLowerCase().replace(/_/g, ' '),
          message: firstLine(error.message),
        };
      }),
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    return {
      issues: [
        {
          path: '',
          expected: 'a plain YAML document',
          found: 'a document the loader refuses to expand',
          message: firstLine(error instanceof Error ? error.message : String(error)),
        },
      ],
    };
  }
  return { document: { data, locate: (path) => lineOf(doc, lineCounter, path) } };
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * The line of the deepest node on the path that exists: the key's line for a
 * mapping entry (a missing key points at its parent's key), the item's line for
 * a list item; none when not even the first step exists.
 */
function lineOf(doc: Document, lineCounter: LineCounter, path: PathSegments): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined = undefined;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
      if (pair === undefined) break;
      offset = startOf(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) break;
      offset = startOf(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function startOf(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}
