import { readRunningVersion } from '../../../../src/targets/artifact/running-version';
import { type Answer, jsonServer } from '../json-server';

const DIGEST = `sha256:${'a'.repeat(64)}`;

let answer: Answer;
let server: Awaited<ReturnType<typeof jsonServer>>;

beforeAll(async () => {
  server = await jsonServer(() => answer);
});
afterAll(() => server.close());

const read = (given: Answer) => {
  answer = given;
  return readRunningVersion(`${server.url}/version?token=abc`, new AbortController().signal);
};

describe('what a service says it runs', () => {
  it('reads the version and digest, and nothing else', async () => {
    await expect(read({ body: { version: '1.9.0', digest: DIGEST, pid: 12 } })).resolves.toEqual({
      ok: true,
      running: { version: '1.9.0', digest: DIGEST },
    });
  });

  it('an answer without a digest names the field (and never the query string)', async () => {
    await expect(read({ body: { version: '1.9.0' } })).resolves.toEqual({
      ok: false,
      problem: `the artifact target could not read the answer of ${server.url}/version: field "digest" is missing (expected string)`,
    });
  });

  it('a version of the wrong type, or a body that is not JSON, is a problem, not a throw', async () => {
    await expect(read({ body: { version: 2, digest: DIGEST } })).resolves.toMatchObject({
      ok: false,
      problem: expect.stringMatching(/field "version": expected string, received number$/),
    });
    await expect(read({ body: 'starting…' })).resolves.toMatchObject({
      ok: false,
      problem: expect.stringMatching(/: the body is not JSON$/),
    });
  });
});
