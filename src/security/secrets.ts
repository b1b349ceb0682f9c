import { SECRET_REF_PATTERN } from '../policy/schema/common';

/**
 * Secret references (`${secret:NAME}`) are resolved here, inside the activity
 * that needs the value, at the last moment (docs/architecture.md §5). A value never leaves
 * the caller: errors name the secret and where it was looked for, never what
 * was found, so they are safe for history, logs and audit.
 */
export interface SecretProvider {
  /** The value of the secret, or undefined when this provider does not have it. */
  get(name: string): string | undefined;
  /** Where this provider looks for `name`, for the "not found" message. */
  describe(name: string): string;
}

export class SecretError extends Error {
  override readonly name = 'SecretError';
}

/**
 * Reads secrets from the process environment: `RIPCORD_SECRET_<NAME>` first
 * (so a worker's secrets are easy to tell apart), then `<NAME>` as written.
 * Names may hold ".", "/" or "-", which a shell cannot export, so the prefixed
 * form is also tried upper-cased with those characters turned into "_".
 */
export function envSecretProvider(env: NodeJS.ProcessEnv = process.env): SecretProvider {
  const candidates = (name: string): string[] => {
    const shellSafe = name.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
    return [...new Set([`RIPCORD_SECRET_${name}`, `RIPCORD_SECRET_${shellSafe}`, name])];
  };
  return {
    get(name) {
      for (const key of candidates(name)) {
        const value = env[key];
        // An empty variable is a mistake in the deployment, not an empty password.
        if (value !== undefined && value !== '') return value;
      }
      return undefined;
    },
    describe(name) {
      return `environment variable ${candidates(name).join(' or ')}`;
    },
  };
}

/** The NAME in `${secret:NAME}`. The reference itself is never echoed: a malformed one may be a pasted credential. */
export function secretName(reference: string): string {
  const match = SECRET_REF_PATTERN.exec(reference);
  if (match?.[1] === undefined) throw new SecretError('malformed secret reference (expected ${secret:NAME})');
  return match[1];
}

export function resolveSecret(reference: string, provider: SecretProvider = envSecretProvider()): string {
  const name = secretName(reference);
  const value = provider.get(name);
  if (value === undefined) throw new SecretError(`secret "${name}" is not set (${provider.describe(name)})`);
  return value;
}

/** Replaces every occurrence of the given secret values in a message; a last guard for text from elsewhere. */
export function redactSecrets(message: string, values: readonly string[]): string {
  let safe = message;
  // Longest first, so a value that contains another is removed whole.
  for (const value of [...values].filter((v) => v.length > 0).sort((a, b) => b.length - a.length)) {
    safe = safe.split(value).join('[redacted]');
  }
  return safe;
}
