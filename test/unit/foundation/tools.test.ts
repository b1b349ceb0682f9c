import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveTool, requireTool, ToolUnavailableError } from '../../../src/dev/tools';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-tools-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function fakeBinary(path: string): string {
  mkdirSync(resolve(path, '..'), { recursive: true });
  writeFileSync(path, '#!/bin/sh\nexit 0\n');
  chmodSync(path, 0o755);
  return path;
}

describe('binary resolution order: environment, then PATH, then .tools/', () => {
  test('the environment variable wins over PATH and .tools', () => {
    const fromEnv = fakeBinary(join(dir, 'env', 'my-temporal'));
    fakeBinary(join(dir, 'path', 'temporal'));
    fakeBinary(join(dir, 'tools', 'venv', 'bin', 'temporal'));
    const env = {
      TEMPORAL_CLI_PATH: fromEnv,
      PATH: join(dir, 'path'),
      RIPCORD_TOOLS_DIR: join(dir, 'tools'),
    };
    expect(resolveTool('temporal', env)).toEqual({ path: fromEnv, source: 'environment' });
  });

  test('PATH wins over .tools', () => {
    const onPath = fakeBinary(join(dir, 'path', 'temporal-test-server'));
    fakeBinary(join(dir, 'tools', 'venv', 'bin', 'temporal-test-server'));
    const env = { PATH: join(dir, 'path'), RIPCORD_TOOLS_DIR: join(dir, 'tools') };
    expect(resolveTool('testServer', env)).toEqual({ path: onPath, source: 'path' });
  });

  test('.tools is the last resort', () => {
    const local = fakeBinary(join(dir, 'tools', 'venv', 'bin', 'temporal'));
    expect(resolveTool('temporal', { PATH: '', RIPCORD_TOOLS_DIR: join(dir, 'tools') })).toEqual({
      path: local,
      source: 'project',
    });
  });

  test('an environment variable naming a missing file is an error that names the variable', () => {
    const env = { TEMPORAL_CLI_PATH: join(dir, 'nope'), PATH: '', RIPCORD_TOOLS_DIR: dir };
    expect(() => resolveTool('temporal', env)).toThrow(
      /TEMPORAL_CLI_PATH is set to .*nope, which is not an executable/,
    );
  });

  test('nothing found: requireTool says how to provide the binary', () => {
    const env = { PATH: '', RIPCORD_TOOLS_DIR: dir };
    expect(() => requireTool('testServer', env)).toThrow(ToolUnavailableError);
    expect(() => requireTool('testServer', env)).toThrow(/npm install.*TEMPORAL_TEST_SERVER_PATH/);
  });
});

describe('the bootstrap run by npm install', () => {
  const script = resolve(__dirname, '..', '..', '..', 'scripts', 'bootstrap-tools.js');
  const run = (env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, [script], {
      encoding: 'utf8',
      env: { HOME: process.env.HOME, PATH: process.env.PATH, RIPCORD_TOOLS_DIR: dir, ...env },
      timeout: 60_000,
    });

  test('with no python and no binaries it prints one clear message and exits non-zero', () => {
    // PATH keeps only node's directory, so no `temporal` can be found on it.
    const result = run({ RIPCORD_PYTHON: join(dir, 'no-python3'), PATH: resolve(process.execPath, '..') });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^ripcord: cannot install the Temporal binaries: .*no-python3 was not found/);
    expect(lines[0]).toMatch(/TEMPORAL_CLI_PATH=.*TEMPORAL_TEST_SERVER_PATH=/);
    expect(result.stdout).toBe('');
  });

  test('binaries provided through the environment: nothing to install, nothing printed', () => {
    const cli = fakeBinary(join(dir, 'bin', 'temporal'));
    const testServer = fakeBinary(join(dir, 'bin', 'temporal-test-server'));
    const result = run({
      TEMPORAL_CLI_PATH: cli,
      TEMPORAL_TEST_SERVER_PATH: testServer,
      RIPCORD_PYTHON: join(dir, 'none'),
    });
    expect(result.status).toBe(0);
    expect(result.stderr + result.stdout).toBe('');
  });
});
