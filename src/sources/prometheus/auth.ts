import type { Source } from '../../policy';
import { resolveSecret, type SecretProvider } from '../../security/secrets';

type SourceAuth = NonNullable<Extract<Source, { type: 'prometheus' }>['auth']>;

/** The headers for one source, plus every string that must never appear in a message. */
export interface Credentials {
  headers: Record<string, string>;
  secrets: string[];
}

/**
 * Builds the Authorization header from the policy's auth block. Bearer: the
 * secret is the token. Basic: the secret is `user:password`, as a proxy in
 * front of Prometheus expects it. Throws a SecretError (which names the secret,
 * never its value) when the secret cannot be resolved.
 */
export function credentials(auth: SourceAuth | undefined, provider: SecretProvider): Credentials {
  if (auth === undefined) return { headers: {}, secrets: [] };
  const value = resolveSecret(auth.secret, provider);
  if (auth.scheme === 'basic') {
    const encoded = Buffer.from(value, 'utf8').toString('base64');
    return { headers: { authorization: `Basic ${encoded}` }, secrets: [value, encoded] };
  }
  return { headers: { authorization: `Bearer ${value}` }, secrets: [value] };
}
