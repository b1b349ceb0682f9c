import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhookSignature } from '../../../../src/targets/webhook';

const SECRET = 'whsec-0123456789';
const BODY = '{"action":"rollback","idempotencyKey":"abc"}';
const NOW = Date.parse('2030-01-01T00:00:00Z');
const TS = String(NOW / 1000);
const at = (ms: number) => ({ now: () => ms });

describe('webhook signatures', () => {
  it('is sha256=<hex HMAC-SHA256 over "<timestamp>.<body>">, as a receiver in any language computes it', () => {
    const hex = createHmac('sha256', SECRET).update(`${TS}.${BODY}`).digest('hex');
    expect(signWebhook(SECRET, TS, BODY)).toBe(`sha256=${hex}`);
  });

  it('verifies what it signed', () => {
    expect(verifyWebhookSignature(SECRET, TS, BODY, signWebhook(SECRET, TS, BODY), at(NOW))).toBe(true);
  });

  it.each([
    ['another body', SECRET, TS, `${BODY} `],
    ['another secret', 'whsec-other', TS, BODY],
    ['another timestamp', SECRET, String(NOW / 1000 + 1), BODY],
  ])('refuses a signature made over %s', (_what, secret, timestamp, body) => {
    expect(verifyWebhookSignature(SECRET, TS, BODY, signWebhook(secret, timestamp, body), at(NOW))).toBe(
      false,
    );
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['a truncated signature', signWebhook(SECRET, TS, BODY).slice(0, 20)],
    ['the bare hex without "sha256="', signWebhook(SECRET, TS, BODY).slice('sha256='.length)],
    ['another algorithm', signWebhook(SECRET, TS, BODY).replace('sha256=', 'sha512=')],
  ])('refuses %s', (_what, header) => {
    expect(verifyWebhookSignature(SECRET, TS, BODY, header, at(NOW))).toBe(false);
  });

  it('refuses a replay: a timestamp older (or newer) than the tolerance', () => {
    const header = signWebhook(SECRET, TS, BODY);
    expect(verifyWebhookSignature(SECRET, TS, BODY, header, at(NOW + 299_000))).toBe(true);
    expect(verifyWebhookSignature(SECRET, TS, BODY, header, at(NOW + 301_000))).toBe(false);
    expect(verifyWebhookSignature(SECRET, TS, BODY, header, at(NOW - 301_000))).toBe(false);
    expect(
      verifyWebhookSignature(SECRET, TS, BODY, header, {
        now: () => NOW + 3_600_000,
        toleranceSeconds: 7200,
      }),
    ).toBe(true);
  });

  it('refuses a timestamp that is not Unix seconds', () => {
    const ts = '2030-01-01T00:00:00Z';
    expect(verifyWebhookSignature(SECRET, ts, BODY, signWebhook(SECRET, ts, BODY), at(NOW))).toBe(false);
  });
});
