import { PermanentStepError } from '../../../../src/targets/errors';
import { hostAllowed, WebhookTargetConfig } from '../../../../src/targets/webhook';
import { checkStatusUrl, checkWebhookUrl } from '../../../../src/targets/webhook/url-guard';

describe('hostAllowed', () => {
  it.each([
    ['https://deploy.example.com/hook', ['deploy.example.com'], true],
    ['https://DEPLOY.example.com/hook', ['deploy.example.com'], true],
    ['https://deploy.example.com:8443/hook', ['deploy.example.com'], true],
    ['https://deploy.example.com:8443/hook', ['deploy.example.com:8443'], true],
    ['https://deploy.example.com/hook', ['deploy.example.com:8443'], false],
    ['https://deploy.example.com/hook', ['deploy.example.com:443'], true],
    ['https://argo.deploy.example.com/', ['*.example.com'], true],
    ['https://example.com/', ['*.example.com'], false],
    ['https://evilexample.com/', ['*.example.com'], false],
    ['https://deploy.example.com.evil.net/', ['deploy.example.com'], false],
    ['http://127.0.0.1:9000/', ['127.0.0.1'], true],
    ['http://[::1]:9000/', ['[::1]:9000'], true],
    ['http://[::1]:9000/', ['[::1]:9001'], false],
  ])('%s with %j → %s', (url, allowed, expected) => {
    expect(hostAllowed(new URL(url), allowed)).toBe(expected);
  });
});

describe('checkWebhookUrl', () => {
  it('refuses a host outside the list, naming only the host', () => {
    expect(() => checkWebhookUrl('https://internal.corp/admin?token=s3cret', ['deploy.example.com'])).toThrow(
      PermanentStepError,
    );
    expect(() => checkWebhookUrl('https://internal.corp/admin?token=s3cret', ['deploy.example.com'])).toThrow(
      /host internal\.corp is not in/,
    );
    expect(() =>
      checkWebhookUrl('https://internal.corp/admin?token=s3cret', ['deploy.example.com']),
    ).not.toThrow(/s3cret/);
  });

  it('refuses credentials, other schemes and plain http off this machine even without a list', () => {
    expect(() => checkWebhookUrl('https://user:pw@deploy.example.com/', undefined)).toThrow(/credentials/);
    expect(() => checkWebhookUrl('https://user:pw@deploy.example.com/', undefined)).not.toThrow(/pw@/);
    expect(() => checkWebhookUrl('file:///etc/passwd', undefined)).toThrow(/scheme/);
    expect(() => checkWebhookUrl('http://deploy.example.com/', undefined)).toThrow(/https/);
    expect(checkWebhookUrl('http://127.0.0.1:8080/hook', undefined).host).toBe('127.0.0.1:8080');
  });
});

describe('checkStatusUrl', () => {
  const webhook = new URL('https://deploy.example.com/hooks/rollback');

  it('resolves a relative status URL against the webhook', () => {
    expect(checkStatusUrl('/jobs/7', webhook, undefined).toString()).toBe(
      'https://deploy.example.com/jobs/7',
    );
  });

  it('keeps status URLs on the webhook origin when there is no allow list', () => {
    expect(() => checkStatusUrl('https://other.example.com/jobs/7', webhook, undefined)).toThrow(
      /another origin/,
    );
  });

  it('allows another allowed host when there is a list', () => {
    const allowed = ['*.example.com'];
    expect(checkStatusUrl('https://status.example.com/jobs/7', webhook, allowed).host).toBe(
      'status.example.com',
    );
    expect(() => checkStatusUrl('https://metadata.internal/jobs/7', webhook, allowed)).toThrow(
      /not in allowedHosts/,
    );
  });
});

describe('WebhookTargetConfig', () => {
  it('takes allowed hosts and a timeout, with a default timeout', () => {
    expect(
      WebhookTargetConfig.parse({
        type: 'webhook',
        allowedHosts: ['Deploy.Example.com', '*.ci.example.com'],
      }),
    ).toEqual({
      type: 'webhook',
      allowedHosts: ['deploy.example.com', '*.ci.example.com'],
      timeoutSeconds: 15,
    });
  });

  it.each([
    [{ type: 'webhook', allowedHosts: ['https://deploy.example.com'] }, 'allowedHosts'],
    [{ type: 'webhook', allowedHosts: ['deploy.example.com/path'] }, 'allowedHosts'],
    [{ type: 'webhook', allowedHosts: [] }, 'allowedHosts'],
    [{ type: 'webhook', timeoutSeconds: 0 }, 'timeoutSeconds'],
    [{ type: 'webhook', url: 'https://x' }, 'url'],
  ])('refuses %j, naming the field', (config, field) => {
    const result = WebhookTargetConfig.safeParse(config);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(field);
  });
});
