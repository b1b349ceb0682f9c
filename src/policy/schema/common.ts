import { z } from 'zod';
import { SHA256_DIGEST, SHA256_DIGEST_FORM } from '../digest';

/**
 * Building blocks shared by every section of the policy. Each carries its own
 * error message so that `ripcord policy validate` can say what was expected in
 * the words a policy author uses.
 */

const NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
export const Name = z.string().regex(NAME_PATTERN, {
  error: 'must be a lowercase name: a letter, then letters, digits, "-" or "_" (at most 63 characters)',
});
export type Name = z.infer<typeof Name>;

// Services and environments end up in workflow ids and Prometheus labels: keep them DNS-label shaped.
const DNS_LABEL_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const DnsLabel = z.string().regex(DNS_LABEL_PATTERN, {
  error: 'must be a DNS label: lowercase letters, digits and "-", not starting or ending with "-"',
});

const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const KeyId = z.string().regex(KEY_ID_PATTERN, {
  error: 'must be a key id: letters, digits, ".", "_", ":" or "-" (at most 128 characters)',
});

export const Digest = z.string().regex(SHA256_DIGEST, {
  error: `must be an artifact digest: ${SHA256_DIGEST_FORM}`,
});

/** Whole seconds within [min, max]; every duration in a policy is written this way. */
export function seconds(min: number, max: number) {
  return z.number().int().min(min).max(max);
}

export const SECRET_REF_PATTERN = /^\$\{secret:([A-Za-z_][A-Za-z0-9_./-]{0,127})\}$/;

/**
 * A secret is only ever named, never written: the loader checks the form and
 * never resolves it (activities do, at the last moment). Anything else in a
 * secret field is refused, because a literal there is most likely a leaked
 * credential committed to a repository.
 */
export const SecretRef = z.string().superRefine((value, ctx) => {
  const problem = secretRefProblem(value);
  if (problem !== undefined) {
    ctx.addIssue({ code: 'custom', params: { expected: SECRET_REF_EXPECTED }, message: problem });
  }
});

export const SECRET_REF_EXPECTED = 'a secret reference like ${secret:NAME}';

/** Why a string is not a usable secret reference, or undefined when it is one. */
export function secretRefProblem(value: string): string | undefined {
  if (SECRET_REF_PATTERN.test(value)) return undefined;
  return value.includes('${secret:')
    ? 'malformed secret reference: write ${secret:NAME} (NAME: letters, digits, "_", ".", "/", "-")'
    : 'must be a secret reference like ${secret:NAME}; secret values never belong in a policy file';
}

/** Key names under which a value is a secret reference: never echoed back in an error. */
export function isSecretKey(key: string | number | undefined): boolean {
  return typeof key === 'string' && (key === 'secret' || key.endsWith('Secret'));
}

function urlCheck(options: { httpsOnlyOffLoopback: boolean }) {
  return z.string().superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({
        code: 'custom',
        params: { expected: 'an absolute http(s) URL' },
        message: 'is not a URL',
      });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({
        code: 'custom',
        params: { expected: 'an http or https URL' },
        message: `uses the unsupported scheme "${url.protocol.replace(/:$/, '')}"`,
      });
      return;
    }
    if (url.username !== '' || url.password !== '') {
      ctx.addIssue({
        code: 'custom',
        params: { expected: 'a URL without user or password', redact: true },
        message: 'contains credentials; put them in a secret reference instead',
      });
    }
    if (options.httpsOnlyOffLoopback && url.protocol === 'http:' && !isLoopback(url.hostname)) {
      ctx.addIssue({
        code: 'custom',
        params: { expected: 'an https URL (plain http only for localhost)' },
        message: 'must use https: it leaves this machine carrying deployment data',
      });
    }
  });
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** An endpoint ripcord reads from inside the network (metrics, probes). */
export const HttpUrl = urlCheck({ httpsOnlyOffLoopback: false });
/** An endpoint ripcord calls with deployment data (webhooks): https unless it is this machine. */
export const OutboundUrl = urlCheck({ httpsOnlyOffLoopback: true });

export const Retries = z
  .strictObject({
    maxAttempts: z.number().int().min(1).max(10).default(3),
    backoff: z
      .strictObject({
        initialSeconds: seconds(1, 600).default(5),
        multiplier: z.number().min(1).max(10).default(2),
        maxSeconds: seconds(1, 3600).default(60),
      })
      .prefault({}),
  })
  .prefault({});
export type Retries = z.infer<typeof Retries>;
