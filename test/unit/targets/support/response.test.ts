import { z } from 'zod';
import { PermanentStepError } from '../../../../src/targets/errors';
import {
  parseJsonResponse,
  parseResponse,
  readJsonResponse,
  readResponse,
  ResponseShapeError,
} from '../../../../src/targets/support/response';

const Feature = z.object({
  environments: z.array(z.object({ name: z.string(), enabled: z.boolean() })),
});
/** What `run` throws (undefined when it does not). */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

const source = {
  target: 'unleash',
  what: 'the answer of Unleash at https://flags.example.com for feature flag "checkout"',
};

describe('response schemas', () => {
  it('returns what the schema reads, without the fields it does not know', () => {
    const body = { environments: [{ name: 'production', enabled: true, sortOrder: 1 }], version: 1 };
    expect(parseResponse(Feature, body, source)).toEqual({
      environments: [{ name: 'production', enabled: true }],
    });
    expect(readJsonResponse(Feature, JSON.stringify(body), source)).toEqual({
      ok: true,
      value: { environments: [{ name: 'production', enabled: true }] },
    });
  });

  it('names the target, the answer and the wrong field', () => {
    const body = { environments: [{ name: 'production', enabled: 'yes' }] };
    const error = thrown(() => parseResponse(Feature, body, source)) as ResponseShapeError;
    expect(error).toBeInstanceOf(ResponseShapeError);
    expect(error.field).toBe('environments[0].enabled');
    expect(error.message).toBe(
      'the unleash target could not read the answer of Unleash at https://flags.example.com for feature flag "checkout": ' +
        'field "environments[0].enabled": expected boolean, received string',
    );
  });

  it('says a field is missing, and what was expected there', () => {
    expect(readResponse(Feature, { features: [] }, source)).toEqual({
      ok: false,
      problem: expect.stringMatching(/: field "environments" is missing \(expected array\)$/),
    });
  });

  it('says when the answer as a whole is of the wrong kind, is not JSON, or is empty', () => {
    expect(readResponse(Feature, [], source)).toMatchObject({
      problem: expect.stringMatching(/: the answer as a whole: expected object, received array$/),
    });
    expect(readJsonResponse(Feature, '<html>Sign in</html>', source)).toMatchObject({
      problem: expect.stringMatching(/^the unleash target could not read .*: the body is not JSON$/),
    });
    expect(readJsonResponse(Feature, '  ', source)).toMatchObject({
      problem: expect.stringMatching(/: the body is empty$/),
    });
  });

  it('never quotes the body it could not read', () => {
    const secretish = '<html>token=hunter2</html>';
    const reading = readJsonResponse(Feature, secretish, source);
    expect(reading.ok).toBe(false);
    expect(JSON.stringify(reading)).not.toContain('hunter2');
    const wrongValue = readResponse(
      Feature,
      { environments: [{ name: 'hunter2', enabled: 'hunter2' }] },
      source,
    );
    expect(JSON.stringify(wrongValue)).not.toContain('hunter2');
  });

  it('adds the hint, and fails the step for good: no retry changes what a server answers', () => {
    const hinted = { ...source, hint: "is the target's url an Unleash server?" };
    const error = thrown(() => parseJsonResponse(Feature, '{}', hinted)) as Error;
    expect(error).toBeInstanceOf(PermanentStepError);
    expect(error.name).toBe('ResponseShapeError');
    expect(error.message).toMatch(/is missing \(expected array\); is the target's url an Unleash server\?$/);
  });

  it('uses the message a schema gives for a field', () => {
    const Manifest = z.object({ digest: z.string().regex(/^sha256:/, { error: 'must be "sha256:…"' }) });
    expect(
      readResponse(Manifest, { digest: 'md5:1' }, { target: 'artifact', what: 'manifest.json' }),
    ).toEqual({
      ok: false,
      problem: 'the artifact target could not read manifest.json: field "digest": must be "sha256:…"',
    });
  });
});
