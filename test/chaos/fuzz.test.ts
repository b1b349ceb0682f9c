import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import fc from 'fast-check';
import { createLocalJWKSet, type JWK, SignJWT } from 'jose';
import { stringify } from 'yaml';
import { parsePolicyText, PolicyValidationError } from '../../src/policy';
import {
  ACTION_TOKEN_TYPE,
  ActionTokenError,
  issueActionToken,
  JoseActionTokenVerifier,
  peekActionToken,
} from '../../src/security/action-tokens';
import { parseScenarioText, ScenarioFileError } from '../../src/simulate/scenario-files';
import { PrometheusHealthSource, parseInstantQuery } from '../../src/sources/prometheus';
import { type GuardianAction } from '../../src/model/actions';
import { validateActionRequest } from '../../src/workflows/messages';
import { defaultActivityDeps } from '../../src/worker/composition';
import { connectClient } from '../../src/client/connect';
import { guardianStatus, sendAction, startGuardian } from '../../src/client/guardians';
import { createWorker } from '../../src/worker';
import { auditRecords } from '../harness/chaos-evidence';
import { chaosPolicy, chaosPolicyDocument } from '../harness/chaos-policy';
import { waitForStatus } from '../harness/chaos-poll';
import { ChaosTemporal } from '../harness/chaos-temporal';
import { bundleWorkflows, quietRuntime } from '../harness/temporal';

/**
 * Malformed and hostile input at every door ripcord opens to the outside:
 * Prometheus answers, scenario files, policy files, operators' message
 * payloads and action tokens. Whatever arrives, the answer is a clear error of
 * the kind that door promises (or a valid result) — never a crash, never an
 * exception of another type, never the hostile text echoed back unbounded.
 */

const RUNS = { numRuns: 300 };

/** Keys that trip code treating parsed JSON as ordinary objects. */
const HOSTILE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'toJSON',
];

/** Strings that look almost right, or are just nasty. */
const hostileString = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'NaN',
    '+Inf',
    '-Inf',
    'Inf',
    'Infinity',
    '1e309',
    '-0',
    '0x10',
    '1_000',
    '١٢٣',
    '\u0000',
    '\u202e',
    '\n\n',
  ),
  fc.constantFrom('${secret:X}', '{{version}}', '<script>', '../../etc/passwd', 'a'.repeat(10_000)),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

/**
 * Any JSON document, as it arrives over the wire: built as text and parsed, so that a
 * `"__proto__"` key is an own property as JSON.parse makes it, not a prototype.
 */
const wireJson = fc
  .letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom(null, true, false),
      fc.double(),
      fc.integer(),
      hostileString,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ maxLength: 8 })), tie('value'), {
        maxKeys: 4,
      }),
    ),
  }))
  .value.map((value) => JSON.parse(JSON.stringify(value) ?? 'null') as unknown);

/** An object whose every key is one of those (e.g. `{"toString": 1}`, which String() cannot convert). */
const hostileObject = fc
  .dictionary(fc.constantFrom(...HOSTILE_KEYS), wireJson, { minKeys: 1, maxKeys: 3 })
  .map((value) => JSON.parse(JSON.stringify(value)) as unknown);
const anyJson = fc.oneof(wireJson, hostileObject);

/** A random place in a document, set to something else (or removed). */
function mutate(document: unknown, path: number[], replacement: unknown, remove: boolean): unknown {
  const copy = structuredClone(document);
  let node: unknown = copy;
  for (const [depth, choice] of path.entries()) {
    if (typeof node !== 'object' || node === null) break;
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[choice % keys.length]!;
    const last = depth === path.length - 1;
    const child = (node as Record<string, unknown>)[key];
    if (last || typeof child !== 'object' || child === null) {
      if (remove) delete (node as Record<string, unknown>)[key];
      else (node as Record<string, unknown>)[key] = replacement;
      break;
    }
    node = child;
  }
  return copy;
}
const mutation = fc.record({
  path: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
  replacement: anyJson,
  remove: fc.boolean(),
});

// ---- Prometheus -------------------------------------------------------------------------

const sample = fc.tuple(
  fc.oneof(fc.double(), anyJson),
  fc.oneof(hostileString, fc.double().map(String), anyJson),
);
const prometheusBody = fc.oneof(
  anyJson,
  fc
    .record(
      {
        status: fc.oneof(fc.constantFrom('success', 'error'), anyJson),
        errorType: anyJson,
        error: fc.oneof(hostileString, anyJson),
        data: fc.oneof(
          anyJson,
          fc.record(
            {
              resultType: fc.oneof(fc.constantFrom('vector', 'scalar', 'matrix', 'string'), anyJson),
              result: fc.oneof(
                sample,
                fc.array(fc.record({ metric: anyJson, value: fc.oneof(sample, anyJson) }), {
                  maxLength: 3,
                }),
                anyJson,
              ),
            },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: [] },
    )
    .map((body) => JSON.parse(JSON.stringify(body)) as unknown),
);

describe('Prometheus answers', () => {
  test('any body: a value, no data or an error with words, never a throw', () => {
    fc.assert(
      fc.property(prometheusBody, (body) => {
        const outcome = parseInstantQuery(body);
        if (outcome.kind === 'value') expect(Number.isFinite(outcome.value)).toBe(true);
        else if (outcome.kind === 'error') {
          // One short line, whatever the server sent.
          expect(outcome.error).toMatch(/\S/);
          expect(outcome.error.length).toBeLessThan(300);
          // eslint-disable-next-line no-control-regex
          expect(outcome.error).not.toMatch(/[\u0000-\u001f]/);
        } else expect(outcome).toEqual({ kind: 'no-data' });
      }),
      RUNS,
    );
  });

  describe('over HTTP', () => {
    let server: Server;
    let answer: { status: number; body: string } = { status: 200, body: '' };
    beforeAll(async () => {
      server = createServer((_req, res) => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    test('any status and body, even not JSON: every series gets a reading, the source never throws', async () => {
      const source = new PrometheusHealthSource();
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(200, 204, 400, 404, 422, 429, 500, 503),
          fc.oneof(
            prometheusBody.map((b) => JSON.stringify(b)),
            hostileString,
          ),
          async (status, body) => {
            answer = { status, body };
            const readings = await source.read({
              sourceName: 'prometheus',
              source: { type: 'prometheus', url, timeoutSeconds: 5 },
              series: [
                { name: 'requests', source: 'prometheus', query: 'sum(x{version="{{version}}"})' },
                { name: 'errors', source: 'prometheus', query: 'sum(y)' },
              ],
              deployment: {
                deploymentId: 'd',
                service: 'checkout',
                environment: 'chaos',
                version: '2.0.0',
                previousVersion: '1.9.0',
                deployedAt: new Date().toISOString(),
              },
              index: 0,
              intervalSeconds: 3,
              groups: { baseline: { version: '1.9.0' }, canary: { version: '2.0.0' } },
              signal: AbortSignal.timeout(10_000),
            });
            expect(Object.keys(readings).sort()).toEqual(['errors', 'requests']);
            for (const reading of Object.values(readings)) {
              if (reading.error !== undefined) {
                expect(reading).toMatchObject({ baseline: null, canary: null });
                expect(reading.error.length).toBeLessThan(1_000); // a huge body is never echoed whole
              } else {
                for (const value of [reading.baseline, reading.canary])
                  expect(value === null || Number.isFinite(value)).toBe(true);
              }
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  });
});

// ---- scenario files -----------------------------------------------------------------------

const validScenario = {
  format: 'ripcord.scenario/v1',
  name: 'fuzz',
  intervalSeconds: 60,
  series: {
    requests: { baseline: [100, 100, null], canary: [50, 50, 50] },
    errors: { baseline: [1, 0, null], canary: [0, 2, 1] },
  },
};

describe('scenario files', () => {
  const check = (text: string) => {
    try {
      const scenario = parseScenarioText(text, 'fuzz.json');
      // Accepted: every series has one value per interval, and the values are counts or null.
      const lengths = Object.values(scenario.series).flatMap((s) => [s.baseline.length, s.canary.length]);
      expect(new Set(lengths).size).toBe(1);
    } catch (error) {
      expect(error).toBeInstanceOf(ScenarioFileError);
      const { problems, message } = error as ScenarioFileError;
      expect(problems.length).toBeGreaterThan(0);
      expect(message.startsWith('fuzz.json: ')).toBe(true);
    }
  };
  test('any text', () => fc.assert(fc.property(fc.oneof(fc.string(), hostileString), check), RUNS));
  test('any JSON document', () =>
    fc.assert(
      fc.property(wireJson, (doc) => check(JSON.stringify(doc))),
      RUNS,
    ));
  test('a valid scenario with one thing changed or removed', () =>
    fc.assert(
      fc.property(mutation, ({ path, replacement, remove }) =>
        check(JSON.stringify(mutate(validScenario, path, replacement, remove))),
      ),
      RUNS,
    ));
  test('deep nesting and huge numbers', () => {
    check(`${'['.repeat(50_000)}${']'.repeat(50_000)}`);
    check(`{"format":"ripcord.scenario/v1","name":"x","intervalSeconds":1e999,"series":{}}`);
  });
});

// ---- policy files -------------------------------------------------------------------------

const validPolicy = chaosPolicyDocument({
  prometheusUrl: 'http://prometheus.example:9090',
  hookUrl: 'https://deploys.example.com/hooks',
  notifyUrl: 'https://pager.example.com/notify',
});

describe('policy files', () => {
  const check = (text: string, filename = 'fuzz.yaml') => {
    try {
      const loaded = parsePolicyText(text, { filename });
      expect(loaded.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyValidationError);
      const { issues } = error as PolicyValidationError;
      expect(issues.length).toBeGreaterThan(0);
      for (const issue of issues) {
        expect(typeof issue.path).toBe('string');
        expect(issue.message).toMatch(/\S/);
      }
    }
  };
  test('the valid policy is valid', () =>
    expect(() => parsePolicyText(stringify(validPolicy), { filename: 'p.yaml' })).not.toThrow());
  test('any text, as YAML and as JSON', () =>
    fc.assert(
      fc.property(fc.oneof(fc.string(), hostileString), fc.boolean(), (text, json) =>
        check(text, json ? 'fuzz.json' : 'fuzz.yaml'),
      ),
      RUNS,
    ));
  test('any document', () =>
    fc.assert(
      fc.property(wireJson, (doc) => check(stringify(doc))),
      RUNS,
    ));
  test('a valid policy with one thing changed or removed', () =>
    fc.assert(
      fc.property(mutation, ({ path, replacement, remove }) =>
        check(stringify(mutate(validPolicy, path, replacement, remove))),
      ),
      { numRuns: 500 },
    ));
  test('YAML bombs, deep nesting, duplicate keys, tags', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 12; i++)
      bomb.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`,
      );
    check(bomb.join('\n'));
    check(`${'['.repeat(20_000)}${']'.repeat(20_000)}`);
    check(`${'- '.repeat(5_000)}x`);
    check('apiVersion: ripcord/v1\napiVersion: ripcord/v1\n');
    check('!!js/function "function () { process.exit(1) }"');
    check('kind: !!binary aGVsbG8=\n');
  });
});

// ---- operators' message payloads ----------------------------------------------------------

const ACTIONS: GuardianAction[] = ['approve', 'reject', 'abort', 'pause', 'resume', 'rollbackNow'];
const FIELD_ERROR = /^(request|actor|role|reason|token|planHash): \S/;

describe('message payloads', () => {
  const request = fc.oneof(
    anyJson,
    fc.record(
      {
        actor: fc.oneof(hostileString, wireJson),
        role: fc.oneof(hostileString, wireJson),
        reason: fc.oneof(hostileString, wireJson),
        planHash: fc.oneof(hostileString, wireJson),
        token: fc.oneof(hostileString, fc.string({ minLength: 16_000, maxLength: 17_000 }), wireJson),
      },
      { requiredKeys: [] },
    ),
  );
  test('any payload: accepted as well-formed, or refused with an Error that names the field', () =>
    fc.assert(
      fc.property(fc.constantFrom(...ACTIONS), request, (action, payload) => {
        let refusal: unknown;
        try {
          validateActionRequest(action, payload as never);
        } catch (error) {
          refusal = error;
        }
        if (refusal === undefined) {
          const r = payload as Record<string, unknown>;
          expect(typeof r.actor === 'string' && r.actor.length > 0 && r.actor.length <= 256).toBe(true);
          expect(typeof r.role === 'string' && r.role.length > 0).toBe(true);
        } else {
          expect(refusal).toBeInstanceOf(Error);
          expect((refusal as Error).message).toMatch(FIELD_ERROR);
        }
      }),
      { numRuns: 1_000 },
    ));
});

// ---- action tokens ----------------------------------------------------------------------

describe('action tokens', () => {
  const KID = 'fuzz-approvals';
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicJwk = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid: KID, alg: 'EdDSA' };
  const privateJwk = { ...(privateKey.export({ format: 'jwk' }) as JWK), kid: KID, alg: 'EdDSA' };
  const verifier = new JoseActionTokenVerifier({ keys: createLocalJWKSet({ keys: [publicJwk] }) });
  const expected = {
    workflowId: 'ripcord/chaos/checkout/d-1',
    deploymentId: 'd-1',
    action: 'approve' as const,
    trustedKeyIds: [KID],
    role: 'sre',
    planHash: 'sha256:plan',
  };
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value) ?? 'null').toString('base64url');

  /** Only an ActionTokenError, never with the token in it; what peek makes of it never throws either. */
  const refused = async (token: string) => {
    expect(() => peekActionToken(token)).not.toThrow();
    const error = await verifier.verify(token, expected).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ActionTokenError);
    if (token.length >= 16) expect((error as Error).message).not.toContain(token);
    return error as ActionTokenError;
  };

  test('the valid token verifies (the fuzzing below starts from it)', async () => {
    const token = await issueActionToken({
      privateJwk,
      subject: 'alice',
      roles: ['sre'],
      action: 'approve',
      deployment: 'd-1',
      plan: 'sha256:plan',
      ttlSeconds: 600,
      issuer: 'fuzz',
    });
    await expect(verifier.verify(token, expected)).resolves.toMatchObject({ subject: 'alice', role: 'sre' });
  });

  test('any string', () =>
    fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), hostileString), async (token) => {
        await refused(token);
      }),
      RUNS,
    ));

  test('three segments of anything, alg "none" included', () =>
    fc.assert(
      fc.asyncProperty(
        fc.oneof(
          wireJson,
          fc.record({
            alg: fc.constantFrom('none', 'HS256', 'EdDSA', 'ES256', 'RS256'),
            kid: fc.oneof(fc.constant(KID), hostileString),
            typ: fc.constant(ACTION_TOKEN_TYPE),
          }),
        ),
        wireJson,
        fc.oneof(fc.constant(''), fc.base64String(), hostileString),
        async (header, payload, signature) => {
          await refused(`${b64(header)}.${b64(payload)}.${signature}`);
        },
      ),
      RUNS,
    ));

  test('a valid token with one character of its header or claims changed', async () => {
    const token = await issueActionToken({
      privateJwk,
      subject: 'alice',
      roles: ['sre'],
      action: 'approve',
      deployment: 'd-1',
      plan: 'sha256:plan',
      ttlSeconds: 600,
      issuer: 'fuzz',
    });
    await fc.assert(
      // Not the signature: base64url's last character carries unused bits, so some changes there decode the same.
      fc.asyncProperty(
        fc.nat({ max: token.lastIndexOf('.') }),
        fc.string({ minLength: 1, maxLength: 1 }),
        async (at, c) => {
          fc.pre(token[at] !== c);
          await refused(`${token.slice(0, at)}${c}${token.slice(at + 1)}`);
        },
      ),
      RUNS,
    );
  });

  test('a genuinely signed token whose claims are hostile', () =>
    fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            sub: fc.oneof(fc.constant('alice'), anyJson),
            roles: fc.oneof(fc.constant(['sre']), anyJson, fc.array(anyJson, { maxLength: 3 })),
            action: fc.oneof(fc.constant('approve'), anyJson),
            deployment: fc.oneof(fc.constant('d-1'), anyJson),
            plan: fc.oneof(fc.constant('sha256:other'), anyJson),
            jti: fc.oneof(fc.constant(randomUUID()), anyJson),
            aud: fc.oneof(fc.constant('ripcord'), anyJson),
            iss: fc.oneof(fc.constant('fuzz'), anyJson),
            // Also expired at times no Date can show.
            exp: fc.oneof(
              fc.constant(Math.floor(Date.now() / 1000) + 600),
              fc.constantFrom(-1e300, -8_640_000_000_001, Number.MIN_SAFE_INTEGER),
              anyJson,
            ),
            iat: fc.oneof(fc.constant(Math.floor(Date.now() / 1000)), anyJson),
          },
          { requiredKeys: [] },
        ),
        async (claims) => {
          const key = await import('jose').then((jose) => jose.importJWK(privateJwk, 'EdDSA'));
          const token = await new SignJWT(JSON.parse(JSON.stringify(claims)) as Record<string, unknown>)
            .setProtectedHeader({ alg: 'EdDSA', kid: KID, typ: ACTION_TOKEN_TYPE })
            .sign(key);
          const error = await refused(token);
          // What the refusal echoes of a claim is one short, printable line.
          // eslint-disable-next-line no-control-regex
          expect(error.message).not.toMatch(/[\u0000-\u001f]/);
          expect(error.message.length).toBeLessThan(600);
        },
      ),
      { numRuns: 200 },
    ));
});

// ---- the same, at a live guardian ---------------------------------------------------------

/**
 * Hostile requests sent to a real guardian that waits for approval of a rollback plan, on a
 * worker that verifies signed tokens: malformed payloads are refused before they reach history;
 * well-formed ones with bad tokens are refused by the verifier and audited; none of them changes
 * what the guardian holds or does. One genuine approval at the end is accepted (the door works).
 */
describe('a live guardian under hostile requests', () => {
  const KID = 'fuzz-live-approvals';
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privateJwk = { ...(privateKey.export({ format: 'jwk' }) as JWK), kid: KID, alg: 'EdDSA' };
  const other = generateKeyPairSync('ed25519');
  const otherJwk = { ...(other.privateKey.export({ format: 'jwk' }) as JWK), kid: KID, alg: 'EdDSA' };
  let dir: string;
  let temporal: ChaosTemporal | undefined;
  let client: Client | undefined;
  let stopWorker: (() => Promise<void>) | undefined;

  afterAll(async () => {
    await stopWorker?.();
    await client?.connection.close().catch(() => undefined);
    await temporal?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('nothing a hostile request sends changes the guardian; a genuine approval still gets through', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ripcord-chaos-fuzz-'));
    quietRuntime();
    const bundle = bundleWorkflows();
    temporal = await ChaosTemporal.start();
    const keysFile = join(dir, 'approvals.jwks.json');
    writeFileSync(
      keysFile,
      JSON.stringify({ keys: [{ ...(publicKey.export({ format: 'jwk' }) as JWK), kid: KID, alg: 'EdDSA' }] }),
    );
    const stateDir = join(dir, 'state');
    const deps = defaultActivityDeps({
      stateDir,
      approvalKeys: keysFile,
      acceptReplay: true,
      notifications: { send: false },
    });
    const taskQueue = `chaos-fuzz-${randomUUID()}`;
    const connection = { profileName: 'chaos', address: temporal.address, namespace: 'default', taskQueue };
    const { worker, close } = await createWorker({ connection, deps, workflowBundle: await bundle });
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running.catch(() => undefined);
      await close();
      await deps.close();
    };
    client = await connectClient(connection);

    const { policy, hash } = chaosPolicy(
      {
        prometheusUrl: 'http://127.0.0.1:9',
        hookUrl: 'http://127.0.0.1:9/hooks',
        notifyUrl: 'http://127.0.0.1:9/n',
      },
      (p) => {
        p.plan.steps = [p.plan.steps[0]];
        p.risk = { highRiskWhen: [{ when: 'always' }] };
        p.approval = { roles: ['sre'], quorum: 1, timeoutSeconds: 3600, onTimeout: 'escalate' };
        p.trustedKeys.approvals = [KID];
      },
    );
    const scenarioFile = join(dir, 'healthy.json');
    const fill = (v: number) => ({ baseline: Array(400).fill(v), canary: Array(400).fill(v) });
    writeFileSync(
      scenarioFile,
      JSON.stringify({
        format: 'ripcord.scenario/v1',
        name: 'healthy',
        intervalSeconds: 3,
        series: { requests: fill(600), errors: fill(3), latency_p99_ms: fill(120) },
      }),
    );
    const deploymentId = `fuzz-${randomUUID().slice(0, 8)}`;
    const handle = await startGuardian(client, taskQueue, {
      deployment: {
        deploymentId,
        service: 'checkout',
        environment: policy.metadata.environment,
        version: '2.0.0',
        previousVersion: '1.9.0',
        deployer: 'chaos-pipeline',
        deployedAt: new Date().toISOString(),
      },
      policy,
      policyHash: hash,
      replay: { scenarioFile },
      watchSeconds: 3600,
    });
    const token = (claims: {
      action: GuardianAction;
      plan?: string;
      deployment?: string;
      expired?: boolean;
      key?: JWK;
    }) =>
      issueActionToken({
        privateJwk: claims.key ?? privateJwk,
        subject: 'alice',
        roles: ['sre'],
        action: claims.action,
        deployment: claims.deployment ?? deploymentId,
        ...(claims.plan ? { plan: claims.plan } : {}),
        ttlSeconds: 60,
        issuer: 'fuzz',
        // Issued an hour ago for a minute: long expired, beyond any clock tolerance.
        ...(claims.expired ? { now: () => new Date(Date.now() - 3_600_000) } : {}),
      });
    await waitForStatus(handle, 'the first evaluation', (st) => st.evaluations >= 1);
    const asked = await sendAction(handle, 'rollbackNow', {
      actor: 'alice',
      role: 'sre',
      token: await token({ action: 'rollbackNow' }),
    });
    expect(asked).toMatchObject({ accepted: true });
    const gated = await waitForStatus(handle, 'the approval gate', (st) => st.phase === 'gate');
    const planHash = gated.plan!.planHash;
    const held = (st: typeof gated) => ({
      phase: st.phase,
      plan: st.plan,
      approvals: st.approvals,
      paused: st.paused,
      outcome: st.outcome,
      decision: st.decision,
    });
    const before = held(gated);
    const auditFile = join(stateDir, 'audit.jsonl');
    const auditBefore = auditRecords(auditFile, deploymentId).length;

    // Bad tokens of every kind: forged, expired, for another deployment, plan or action, mangled, none.
    const badToken = fc.oneof(
      fc.constant(undefined),
      hostileString,
      fc.constantFrom(...ACTIONS).map((action) => ({ action })),
    );
    const requests = fc.record({
      action: fc.constantFrom(...ACTIONS),
      payload: fc.oneof(
        anyJson,
        fc.record({
          actor: fc.oneof(fc.constantFrom('alice', 'mallory', 'chaos-pipeline'), hostileString),
          role: fc.oneof(fc.constantFrom('sre', 'owner', 'admin'), hostileString),
          planHash: fc.oneof(fc.constant(planHash), hostileString),
          token: badToken,
          how: fc.constantFrom('forged', 'expired', 'elsewhere', 'other-plan', 'other-action', 'mangled'),
        }),
      ),
    });
    const samples = fc.sample(requests, { numRuns: 40, seed: 4242 });
    let refusedBeforeHistory = 0;
    let deniedByVerifier = 0;
    let rollbackNowHeard = 0;
    for (const { action, payload } of samples) {
      let request: unknown = payload;
      const shaped = payload as { token?: unknown; how?: string };
      if (
        typeof shaped === 'object' &&
        shaped !== null &&
        'how' in shaped &&
        typeof shaped.token === 'object'
      ) {
        const wanted = (shaped.token as { action: GuardianAction }).action;
        // Every token is wrong in at least one way the verifier must catch.
        const signed =
          shaped.how === 'forged'
            ? await token({ action, plan: planHash, key: otherJwk })
            : shaped.how === 'expired'
              ? await token({ action, plan: planHash, expired: true })
              : shaped.how === 'elsewhere'
                ? await token({ action, plan: planHash, deployment: 'another-deployment' })
                : shaped.how === 'other-plan'
                  ? await token({ action, plan: 'sha256:another-plan' })
                  : shaped.how === 'other-action'
                    ? await token({
                        action: wanted === action ? (action === 'abort' ? 'pause' : 'abort') : wanted,
                        plan: planHash,
                      })
                    : (await token({ action, plan: planHash })).replace(/\.[^.]*$/, '.AAAA');
        request = { ...(payload as object), token: signed };
      }
      if (typeof request === 'object' && request !== null && 'how' in request)
        delete (request as { how?: unknown }).how;
      const outcome = await sendAction(handle, action, request as never).then(
        (answer) => answer,
        (error: unknown) => error as Error,
      );
      if (outcome instanceof Error) refusedBeforeHistory += 1;
      else {
        expect(outcome.accepted).toBe(false);
        deniedByVerifier += 1;
        if (action === 'rollbackNow') rollbackNowHeard += 1;
      }
      expect(held(await guardianStatus(handle))).toEqual(before);
    }
    // Well-formed requests whose token only the verifier can refuse (a signature by a key that
    // claims the trusted key id, a mangled signature, a plan the guardian does not hold): the
    // validator cannot check signatures, so these reach the guardian and are denied there.
    const pastTheValidator: Array<[GuardianAction, string]> = [
      ['approve', await token({ action: 'approve', plan: planHash, key: otherJwk })],
      ['abort', (await token({ action: 'abort', plan: planHash })).replace(/\.[^.]*$/, '.AAAA')],
      ['reject', await token({ action: 'reject', plan: `sha256:${'e'.repeat(64)}` })],
    ];
    for (const [action, signed] of pastTheValidator) {
      const answer = await sendAction(handle, action, {
        actor: 'mallory',
        role: 'sre',
        planHash,
        token: signed,
      });
      expect(answer.accepted).toBe(false);
      deniedByVerifier += 1;
      expect(held(await guardianStatus(handle))).toEqual(before);
    }
    // Both doors were exercised: the validator's and the verifier's.
    expect(refusedBeforeHistory).toBeGreaterThan(5);
    expect(deniedByVerifier).toBeGreaterThanOrEqual(pastTheValidator.length);
    // Every refusal that reached the guardian is audited as a refusal, nothing else was recorded.
    // The manual-rollback rate limit counts verified people only: requests whose signature does not
    // verify never use it up, so none of these reaches it however many rollbackNow were heard.
    const added = auditRecords(auditFile, deploymentId).slice(auditBefore);
    expect({
      rollbackNowHeard,
      limitRecords: added.filter(
        (r) => r.kind === 'action-denied' && r.details.code === 'rate-limit-reached',
      ),
    }).toEqual({
      rollbackNowHeard,
      limitRecords: [],
    });
    expect(added.map((r) => r.kind)).toEqual(Array(deniedByVerifier).fill('action-denied'));

    // The door still opens for the genuine article.
    const approved = await sendAction(handle, 'approve', {
      actor: 'alice',
      role: 'sre',
      planHash,
      token: await token({ action: 'approve', plan: planHash }),
    });
    expect(approved).toMatchObject({ accepted: true });
  }, 180_000);
});
