import { OutboundUrl } from '../../policy/schema/common';
import { PermanentStepError } from '../errors';
import { safeUrl } from '../support/safe-url';

/**
 * Where a webhook may go (an SSRF guard). The policy loader already refused
 * URLs with credentials, other schemes and plain http off this machine; the
 * target checks again at use, because a plan may come from an older policy and
 * because receivers hand back status URLs that no policy ever saw.
 */

/** The webhook URL of a step, checked against the worker's allowed hosts (when it has a list). */
export function checkWebhookUrl(raw: string, allowedHosts: readonly string[] | undefined): URL {
  const url = outbound(raw, 'the webhook URL');
  if (allowedHosts !== undefined && !hostAllowed(url, allowedHosts)) {
    throw new PermanentStepError(
      `webhook host ${url.host} is not in this worker's allowedHosts (${allowedHosts.join(', ')})`,
    );
  }
  return url;
}

/**
 * The status URL a receiver answered with (absolute, or relative to the
 * webhook). With an allow list it must be on an allowed host; without one it
 * must stay on the webhook's own origin, so a receiver cannot make the worker
 * call anything else.
 */
export function checkStatusUrl(raw: string, webhook: URL, allowedHosts: readonly string[] | undefined): URL {
  let resolved: string;
  try {
    resolved = new URL(raw, webhook).toString();
  } catch {
    throw new PermanentStepError(
      `the receiver at ${webhook.origin} answered with a status URL that is not a URL`,
    );
  }
  const url = outbound(resolved, `the status URL from ${webhook.origin}`);
  const allowed = allowedHosts === undefined ? url.origin === webhook.origin : hostAllowed(url, allowedHosts);
  if (!allowed) {
    throw new PermanentStepError(
      `the receiver at ${webhook.origin} pointed its status URL at ${url.origin}, which is ` +
        (allowedHosts === undefined ? 'another origin (allowedHosts is not set)' : 'not in allowedHosts'),
    );
  }
  return url;
}

/** `deploy.example.com` (any port), `deploy.example.com:8443`, `*.example.com` (subdomains only). */
export function hostAllowed(url: URL, allowedHosts: readonly string[]): boolean {
  const hostname = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allowedHosts.some((entry) => {
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry.toLowerCase());
    if (match?.[1] === undefined) return false;
    const [, host, wantedPort] = match;
    if (wantedPort !== undefined && wantedPort !== port) return false;
    // "*.example.com" is any subdomain of example.com, never example.com itself or "evilexample.com".
    if (host.startsWith('*.')) return hostname.endsWith(host.slice(1)) && hostname.length > host.length - 1;
    return hostname === host;
  });
}

function outbound(raw: string, what: string): URL {
  const parsed = OutboundUrl.safeParse(raw);
  if (!parsed.success) {
    const reason = parsed.error.issues[0]?.message ?? 'is not allowed';
    // safeUrl drops user info and the query: the part a token would hide in.
    throw new PermanentStepError(`${what} ${safeUrl(raw)} ${reason}`);
  }
  return new URL(parsed.data);
}
