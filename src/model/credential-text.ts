/**
 * Finds text that looks like a credential inside free text (a reason, a
 * summary): people paste tokens into the wrong field, and free text is
 * copied into workflow history, logs and the audit trail, where many can
 * read it for as long as those are kept. Pure and deterministic (regular
 * expressions only), so update validators in the workflow can refuse such
 * text before it reaches history, and sinks can redact what came from
 * elsewhere.
 */

interface CredentialPattern {
  what: string;
  pattern: RegExp;
}

const PATTERNS: CredentialPattern[] = [
  // A compact JWS/JWT: base64url header starting with `{"` (eyJ), payload, signature.
  { what: 'a signed token (JWS)', pattern: /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { what: 'a bearer token', pattern: /\bbearer\s+[A-Za-z0-9._~+/=-]{16,}/gi },
  {
    what: 'a private key',
    pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  },
  // A JWK's private part: "d": "<base64url>".
  { what: 'a private JWK', pattern: /"d"\s*:\s*"[A-Za-z0-9_-]{20,}"/g },
  { what: 'an API key', pattern: /\b(?:sk|pk|rk|xox[abpors]|ghp|gho|ghs|glpat|AKIA)[-_][A-Za-z0-9_-]{16,}/g },
  { what: 'an AWS access key id', pattern: /\bAKIA[0-9A-Z]{16}\b/g },
  {
    what: 'a password or secret assignment',
    pattern: /\b(?:password|passwd|secret|api[-_]?key|token)\s*[=:]\s*\S{8,}/gi,
  },
];

/** What kind of credential the text seems to contain, or undefined. */
export function findCredential(text: string): string | undefined {
  for (const { what, pattern } of PATTERNS) {
    pattern.lastIndex = 0;
    if (pattern.test(text)) return what;
  }
  return undefined;
}

/** The text with every credential-looking part replaced by `[redacted: <what>]`. */
export function redactCredentials(text: string): string {
  let safe = text;
  for (const { what, pattern } of PATTERNS) {
    pattern.lastIndex = 0;
    safe = safe.replace(pattern, `[redacted: ${what}]`);
  }
  return safe;
}
