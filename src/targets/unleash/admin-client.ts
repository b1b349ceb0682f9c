import { z } from 'zod';
import { redactSecrets } from '../../security/secrets';
import type { CircuitBreakers } from '../support/circuit-breaker';
import { PermanentStepError } from '../errors';
import { describeAnswer, type OutboundResponse, sanitizeText, sendOutbound } from '../support/outbound-http';
import { parseJsonResponse, readJsonResponse, type ResponseSource } from '../support/response';

/** A feature flag as ripcord reads it back: whether it is on in each environment. */
export interface FeatureView {
  name: string;
  project: string;
  environments: { name: string; enabled: boolean }[];
}

const FeatureTag = z.object({ type: z.string(), value: z.string() });
export type FeatureTag = z.infer<typeof FeatureTag>;

/** The Admin API's answers, as far as ripcord reads them (Unleash sends more; the rest is dropped). */
const FeatureAnswer = z.object({
  environments: z.array(z.object({ name: z.string(), enabled: z.boolean() })),
});
const TagsAnswer = z.object({ tags: z.array(FeatureTag) });
const RefusalAnswer = z.object({ message: z.string() });

export interface UnleashClientOptions {
  baseUrl: string;
  token: string;
  timeoutMs: number;
  breakers: CircuitBreakers;
}

/**
 * The few Unleash Admin API calls the flag target needs. Every call goes
 * through the Unleash endpoint's circuit breaker and carries the activity's
 * signal. Answers that no retry can change become PermanentStepError: the
 * token refused (401/403, never the token itself in the message), a flag or
 * project that does not exist (404, with Unleash's own explanation), a request
 * Unleash rejects (other 4xx).
 */
export class UnleashAdminClient {
  readonly origin: string;

  constructor(private readonly options: UnleashClientOptions) {
    this.origin = new URL(options.baseUrl).origin;
  }

  get what(): string {
    return `Unleash at ${this.origin}`;
  }

  /** The flag; a flag (or project) Unleash does not know is permanent, with Unleash's own explanation. */
  async feature(project: string, flag: string, signal: AbortSignal): Promise<FeatureView> {
    const response = await this.send('GET', ['api/admin/projects', project, 'features', flag], signal);
    if (response.status === 404) {
      throw this.refusal(
        `feature flag "${flag}" does not exist in project "${project}" on ${this.what} ` +
          `(${sanitizeText(unleashMessage(response))}): check the policy's flag and project`,
      );
    }
    this.expectOk(response, `reading feature flag "${flag}"`);
    const answer = parseJsonResponse(FeatureAnswer, response.text, {
      ...this.source(`feature flag "${flag}"`),
      hint: "is the target's url an Unleash server?",
    });
    return { name: flag, project, environments: answer.environments };
  }

  /** Turns the flag on or off in one environment; a missing flag, project or environment is permanent. */
  async switchEnvironment(
    project: string,
    flag: string,
    environment: string,
    on: boolean,
    signal: AbortSignal,
  ): Promise<void> {
    const response = await this.send(
      'POST',
      ['api/admin/projects', project, 'features', flag, 'environments', environment, on ? 'on' : 'off'],
      signal,
    );
    if (response.status === 404) {
      throw this.refusal(
        `feature flag "${flag}" cannot be switched ${on ? 'on' : 'off'} in environment "${environment}" ` +
          `of project "${project}": ${this.what} answered ${describeAnswer(404, unleashMessage(response))}`,
      );
    }
    this.expectOk(response, `switching feature flag "${flag}" ${on ? 'on' : 'off'} in "${environment}"`);
  }

  async tags(flag: string, signal: AbortSignal): Promise<FeatureTag[]> {
    const response = await this.send('GET', ['api/admin/features', flag, 'tags'], signal);
    this.expectOk(response, `reading the tags of feature flag "${flag}"`);
    // The tags are the step's record: an answer without them must not read as "no record".
    return parseJsonResponse(TagsAnswer, response.text, this.source(`the tags of feature flag "${flag}"`))
      .tags;
  }

  /** Adds a tag; adding one the flag already has is not an error (Unleash keeps one copy). */
  async addTag(flag: string, tag: FeatureTag, signal: AbortSignal): Promise<void> {
    const response = await this.send('POST', ['api/admin/features', flag, 'tags'], signal, tag);
    if (response.status === 409) return;
    this.expectOk(response, `tagging feature flag "${flag}"`);
  }

  /** Creates the tag type when it does not exist yet (several workers may race: 409 is fine). */
  async ensureTagType(name: string, description: string, signal: AbortSignal): Promise<void> {
    const existing = await this.send('GET', ['api/admin/tag-types', name], signal);
    if (existing.status === 200) return;
    if (existing.status !== 404) this.expectOk(existing, `reading tag type "${name}"`);
    const created = await this.send('POST', ['api/admin/tag-types'], signal, { name, description });
    if (created.status === 409) return;
    this.expectOk(created, `creating tag type "${name}"`);
  }

  private async send(
    method: 'GET' | 'POST',
    segments: string[],
    signal: AbortSignal,
    body?: unknown,
  ): Promise<OutboundResponse> {
    const [prefix, ...rest] = segments;
    const path = [prefix, ...rest.map((segment) => encodeURIComponent(segment))].join('/');
    const base = this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`;
    const response = await sendOutbound(this.options.breakers, {
      url: new URL(path, base),
      method,
      headers: {
        accept: 'application/json',
        authorization: this.options.token,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      timeoutMs: this.options.timeoutMs,
      signal,
      what: this.what,
      secrets: [this.options.token],
    });
    if (response.status === 401 || response.status === 403) {
      throw new PermanentStepError(
        `${this.what} rejected the token (HTTP ${response.status}): check the target's tokenSecret and its permissions`,
      );
    }
    if (response.status >= 300 && response.status < 400) {
      throw new PermanentStepError(
        `${this.what} answered with a redirect (HTTP ${response.status}); redirects are not followed: check the target's url`,
      );
    }
    return response;
  }

  private expectOk(response: OutboundResponse, doing: string): void {
    if (response.status >= 200 && response.status < 300) return;
    throw this.refusal(
      `${this.what} refused ${doing}: ${describeAnswer(response.status, unleashMessage(response))}`,
    );
  }

  private source(about: string): ResponseSource {
    return { target: 'unleash', what: `the answer of ${this.what} for ${about}` };
  }

  /** Unleash's own words go into the message; the token never does, whatever Unleash echoed. */
  private refusal(message: string): PermanentStepError {
    return new PermanentStepError(redactSecrets(message, [this.options.token]));
  }
}

/** Unleash explains a refusal in `message`; fall back to the raw body. */
function unleashMessage(response: OutboundResponse): string {
  const refusal = readJsonResponse(RefusalAnswer, response.text, { target: 'unleash', what: 'a refusal' });
  return refusal.ok ? refusal.value.message : response.text;
}
