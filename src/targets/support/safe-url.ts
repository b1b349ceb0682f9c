/**
 * A URL as it may be shown to people and written to logs and plans: scheme,
 * host and path only, because a query string may carry a token.
 */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
