import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NginxProbeConfig } from '../../../../src/targets/nginx/config';
import { describeProbe, NO_VERSION, probeMismatch, probeVersions } from '../../../../src/targets/nginx/probe';

let server: Server;
let url: string;
let answers: string[] = [];
const hosts: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hosts.push(req.headers.host ?? '');
    const version = answers.shift();
    if (version === 'none') {
      res.writeHead(502).end('bad gateway');
      return;
    }
    res.writeHead(200, version === undefined ? {} : { 'x-version': version });
    res.end(`<p>served by checkout version=${version ?? '?'}</p>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('probing through the proxy', () => {
  test('counts the versions that answered, by header, sending the configured Host', async () => {
    answers = ['1.9.0', '2.0.0', '1.9.0', 'none'];
    const probe = NginxProbeConfig.parse({ url, host: 'checkout', count: 4 });
    const result = await probeVersions(probe);
    expect(result).toEqual({ total: 4, byVersion: { '1.9.0': 2, '2.0.0': 1, [NO_VERSION]: 1 }, failed: 0 });
    expect(hosts.slice(-4)).toEqual(['checkout', 'checkout', 'checkout', 'checkout']);
    expect(describeProbe(result)).toBe(`4 probes: 2 by 1.9.0, 1 by 2.0.0, 1 by ${NO_VERSION}`);
  });

  test('reads the version from the body when told to', async () => {
    answers = ['1.9.0', '1.9.0'];
    const probe = NginxProbeConfig.parse({ url, count: 2, version: { bodyPattern: 'version=([0-9.]+)' } });
    const result = await probeVersions(probe);
    expect(describeProbe(result)).toBe('2/2 probes answered by 1.9.0');
  });

  test('a proxy that does not answer is counted as failed, by error code', async () => {
    const probe = NginxProbeConfig.parse({ url: 'http://127.0.0.1:1/', count: 3 });
    const result = await probeVersions(probe);
    expect(result).toMatchObject({ failed: 3, firstFailure: 'ECONNREFUSED' });
    expect(probeMismatch(result, ['1.9.0'], probe)).toBe(
      'probing http://127.0.0.1:1/: 3 of 3 requests failed (ECONNREFUSED)',
    );
  });
});

describe('probe expectations', () => {
  const probe = NginxProbeConfig.parse({ url: 'http://proxy/?token=secret' });
  test('answers only from expected versions agree', () => {
    const result = { total: 20, byVersion: { '1.9.0': 18, '2.0.0': 2 }, failed: 0 };
    expect(probeMismatch(result, ['1.9.0', '2.0.0'], probe)).toBeUndefined();
  });
  test('an answer from another version is a mismatch, and the message holds no query string', () => {
    const result = { total: 20, byVersion: { '1.9.0': 17, '2.0.0': 3 }, failed: 0 };
    const mismatch = probeMismatch(result, ['1.9.0'], probe);
    expect(mismatch).toBe('probing http://proxy/: expected answers only from 1.9.0, got 3 by 2.0.0 (of 20)');
  });
});
