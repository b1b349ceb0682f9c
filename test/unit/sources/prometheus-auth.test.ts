import { envSecretProvider, redactSecrets, resolveSecret, SecretError } from '../../../src/security/secrets';
import { credentials } from '../../../src/sources/prometheus/auth';

describe('secret references resolved from the environment', () => {
  test('RIPCORD_SECRET_<NAME> wins over <NAME>', () => {
    const provider = envSecretProvider({ RIPCORD_SECRET_PROM_TOKEN: 'prefixed', PROM_TOKEN: 'plain' });
    expect(resolveSecret('${secret:PROM_TOKEN}', provider)).toBe('prefixed');
  });

  test('<NAME> as written when there is no prefixed variable', () => {
    expect(resolveSecret('${secret:PROM_TOKEN}', envSecretProvider({ PROM_TOKEN: 'plain' }))).toBe('plain');
  });

  test('a name a shell cannot export is found upper-cased with "_"', () => {
    const provider = envSecretProvider({ RIPCORD_SECRET_MONITORING_PROM_TOKEN: 'v' });
    expect(resolveSecret('${secret:monitoring/prom-token}', provider)).toBe('v');
  });

  test('a missing or empty secret is an error that names it and where it was looked for', () => {
    const provider = envSecretProvider({ PROM_TOKEN: '' });
    expect(() => resolveSecret('${secret:PROM_TOKEN}', provider)).toThrow(
      new SecretError(
        'secret "PROM_TOKEN" is not set (environment variable RIPCORD_SECRET_PROM_TOKEN or PROM_TOKEN)',
      ),
    );
  });

  test('a malformed reference is not echoed (it may be a pasted credential)', () => {
    expect(() => resolveSecret('hunter2-literal', envSecretProvider({}))).toThrow(
      'malformed secret reference (expected ${secret:NAME})',
    );
  });

  test('redaction removes every occurrence, longest value first', () => {
    expect(redactSecrets('a s3cr3t b s3cr3t-long', ['s3cr3t', 's3cr3t-long'])).toBe(
      'a [redacted] b [redacted]',
    );
  });
});

describe('Prometheus credentials', () => {
  const provider = envSecretProvider({ RIPCORD_SECRET_PROM: 'user:pa55' });

  test('no auth block, no header', () => {
    expect(credentials(undefined, provider)).toEqual({ headers: {}, secrets: [] });
  });

  test('bearer sends the secret as the token', () => {
    expect(credentials({ scheme: 'bearer', secret: '${secret:PROM}' }, provider).headers).toEqual({
      authorization: 'Bearer user:pa55',
    });
  });

  test('basic sends user:password in base64, and both forms are redacted', () => {
    const result = credentials({ scheme: 'basic', secret: '${secret:PROM}' }, provider);
    const encoded = Buffer.from('user:pa55').toString('base64');
    expect(result.headers).toEqual({ authorization: `Basic ${encoded}` });
    expect(result.secrets).toEqual(['user:pa55', encoded]);
  });
});
