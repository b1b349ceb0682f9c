import type { z } from 'zod';
import { PermanentStepError } from '../errors';

/**
 * Everything a target reads from outside (an Unleash answer, a webhook
 * receiver's status, a service's version endpoint, a release manifest) is
 * parsed with a zod schema here, never cast. A reading that does not fit says
 * which target read what, and which field was wrong:
 *
 *   the unleash target could not read the answer of Unleash at https://flags.example.com
 *   for feature flag "checkout": field "environments[0].enabled": expected boolean, received string
 */

/** Who read which answer, for messages. */
export interface ResponseSource {
  /** The target that reads it: "unleash", "webhook", "artifact". */
  target: string;
  /** The answer in words: `the answer of Unleash at https://flags.example.com for feature flag "checkout"`. */
  what: string;
  /** What to check when it does not fit, added to the message: "is the target's url an Unleash server?". */
  hint?: string;
}

export type ResponseReading<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * An answer from outside that does not have the shape the target reads. No
 * retry changes what a server answers on purpose, so it fails the step for good.
 */
export class ResponseShapeError extends PermanentStepError {
  constructor(
    message: string,
    /** The first field that was wrong ("environments[0].enabled"); undefined for the answer as a whole. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ResponseShapeError';
  }
}

/** Checks already-parsed JSON against `schema`; never throws. */
export function readResponse<S extends z.ZodType>(
  schema: S,
  body: unknown,
  source: ResponseSource,
): ResponseReading<z.output<S>> {
  const result = schema.safeParse(body);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problem: problemOf(source, describeIssue(result.error.issues[0])) };
}

/** The same for a body as text: an empty body or one that is not JSON is a problem too. */
export function readJsonResponse<S extends z.ZodType>(
  schema: S,
  text: string,
  source: ResponseSource,
): ResponseReading<z.output<S>> {
  const body = parseJsonText(text);
  if (!body.ok) return { ok: false, problem: problemOf(source, body.problem) };
  return readResponse(schema, body.value, source);
}

/** Like readResponse, but throws a ResponseShapeError naming the target and the field. */
export function parseResponse<S extends z.ZodType>(
  schema: S,
  body: unknown,
  source: ResponseSource,
): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new ResponseShapeError(problemOf(source, describeIssue(issue)), fieldOf(issue));
}

/** Like readJsonResponse, but throws a ResponseShapeError. */
export function parseJsonResponse<S extends z.ZodType>(
  schema: S,
  text: string,
  source: ResponseSource,
): z.output<S> {
  const body = parseJsonText(text);
  if (!body.ok) throw new ResponseShapeError(problemOf(source, body.problem));
  return parseResponse(schema, body.value, source);
}

/** Text as JSON; an empty body or one that is not JSON says so (never quoting it). */
export function parseJsonText(text: string): ResponseReading<unknown> {
  if (text.trim() === '') return { ok: false, problem: 'the body is empty' };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, problem: 'the body is not JSON' };
  }
}

function problemOf(source: ResponseSource, problem: string): string {
  const hint = source.hint === undefined ? '' : `; ${source.hint}`;
  return `the ${source.target} target could not read ${source.what}: ${problem}${hint}`;
}

/** `field "environments[0].enabled": expected boolean, received string`. */
function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return 'it does not fit';
  const field = fieldOf(issue);
  const message = issue.message.replace(/^Invalid input: /, '');
  if (field === undefined) return `the answer as a whole: ${message}`;
  if (issue.code === 'invalid_type' && message.endsWith('received undefined')) {
    return `field "${field}" is missing (${message.replace(/, received undefined$/, '')})`;
  }
  return `field "${field}": ${message}`;
}

function fieldOf(issue: z.core.$ZodIssue | undefined): string | undefined {
  if (issue === undefined || issue.path.length === 0) return undefined;
  return issue.path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}
