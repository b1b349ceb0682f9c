import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  Parser,
  parseDocument,
  type Document,
  type Node,
  type YAMLError,
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
    const openers = unclosedOpeners(text);
    const issues = doc.errors.map((error): PolicyIssue => {
      const opened = openerOf(error, openers);
      const line = opened === undefined ? error.linePos?.[0].line : lineCounter.linePos(opened).line;
      return {
        path: '',
        ...(line === undefined ? {} : { line }),
        expected: 'valid YAML or JSON',
        found: error.code.toLowerCase().replace(/_/g, ' '),
        message: firstLine(error.message),
      };
    });
    // A mistake often confuses the parser for a few lines more: the first line is where it is.
    const seen = new Set<string>();
    return {
      issues: issues
        .sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity))
        .filter((issue) => {
          const key = `${issue.line}:${issue.message}`;
          return seen.has(key) ? false : (seen.add(key), true);
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

/** Where a quoted scalar or a flow collection that is never closed begins, by its opening character. */
interface Opener {
  offset: number;
  char: string;
}

/**
 * The quotes, brackets and braces the file opens and never closes. The parser
 * reports these where it gave up (often the next line, or the end of the
 * file); the author's mistake is where they were opened.
 */
function unclosedOpeners(text: string): Opener[] {
  const openers: Opener[] = [];
  const visit = (token: unknown): void => {
    if (Array.isArray(token)) return token.forEach(visit);
    if (typeof token !== 'object' || token === null) return;
    const t = token as { type?: string; offset?: number; source?: string; start?: unknown; end?: unknown };
    if (t.type === 'flow-collection' && typeof t.offset === 'number') {
      const open = (t.start as { source?: string } | undefined)?.source ?? '';
      const close = open === '{' ? '}' : ']';
      const ends = Array.isArray(t.end) ? (t.end as { source?: string }[]) : [];
      if (!ends.some((e) => e.source === close)) openers.push({ offset: t.offset, char: open });
    }
    if (
      (t.type === 'double-quoted-scalar' || t.type === 'single-quoted-scalar') &&
      typeof t.offset === 'number' &&
      typeof t.source === 'string'
    ) {
      const quote = t.source[0] ?? '';
      const escapedEnd = quote === '"' && /(^|[^\\])(\\\\)*\\"$/.test(t.source);
      if (t.source.length < 2 || !t.source.endsWith(quote) || escapedEnd) {
        openers.push({ offset: t.offset, char: quote });
      }
    }
    for (const [key, value] of Object.entries(t)) {
      if (key !== 'source' && typeof value === 'object') visit(value);
    }
  };
  try {
    for (const token of new Parser().parse(text)) visit(token);
  } catch {
    return [];
  }
  return openers;
}

/** The unclosed opener an error is about: the last one of its kind before where the parser gave up. */
function openerOf(error: YAMLError, openers: Opener[]): number | undefined {
  const message = error.message;
  const char = /Missing closing "quote/.test(message)
    ? '"'
    : /Missing closing 'quote/.test(message)
      ? "'"
      : /end with a \]/.test(message)
        ? '['
        : /end with a \}/.test(message)
          ? '{'
          : undefined;
  if (char === undefined) return undefined;
  const candidates = openers.filter((o) => o.char === char && o.offset <= error.pos[0]);
  return candidates.at(-1)?.offset;
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
