/**
 * Runs a GitHub Actions workflow's `run:` steps locally, in order, with bash —
 * enough to exercise examples/pipelines/github-actions.yml end to end against
 * the embedded stack (docs/pipelines.md), with no runner and no network.
 *
 *   npx tsx scripts/run-github-actions-example.ts [workflow.yml] [--workdir DIR] [--job NAME]
 *       [--event push|pull_request] [--env KEY=VALUE ...] [--skip STEP_ID ...]
 *
 * What it does, as GitHub would: jobs in `needs` order, `if:` of jobs and
 * steps, the env of the workflow, job and step (with ${{ secrets.X }} and
 * ${{ vars.X }} taken from this process's environment), GITHUB_* defaults,
 * $GITHUB_ENV between steps, `bash --noprofile --norc -eo pipefail`. What it
 * does not: `uses:` steps (the workdir is the checkout, Node is this one), or
 * any expression beyond the small set below (it stops with exit 2, naming it).
 * `--env` overrides come last: they are what the local stack needs
 * (RIPCORD_PROFILE=local, TEMPORAL_ADDRESS, RIPCORD_GUARD_FLAGS=--replay ...).
 *
 * Exit code: the first failing step's own (10 when `ripcord guard --wait`
 * rolled back, ...); steps with `if: failure()` or `always()` still run after
 * it, as on GitHub. 2 for a usage problem or a workflow it cannot run.
 */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

const USAGE = 2;

class UsageError extends Error {}

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string | boolean;
  env?: Record<string, unknown>;
  'working-directory'?: string;
  shell?: string;
}

interface Job {
  name?: string;
  needs?: string | string[];
  if?: string | boolean;
  env?: Record<string, unknown>;
  steps?: Step[];
}

interface Workflow {
  name?: string;
  env?: Record<string, unknown>;
  jobs?: Record<string, Job>;
}

interface Options {
  workflow: string;
  workdir: string;
  jobs: string[];
  event: string;
  overrides: Record<string, string>;
  skip: Set<string>;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    workflow: path.resolve(__dirname, '..', 'examples', 'pipelines', 'github-actions.yml'),
    workdir: process.cwd(),
    jobs: [],
    event: 'push',
    overrides: {},
    skip: new Set(),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--workdir') options.workdir = path.resolve(value());
    else if (arg === '--job') options.jobs.push(value());
    else if (arg === '--event') options.event = value();
    else if (arg === '--skip') options.skip.add(value());
    else if (arg === '--env') {
      const pair = value();
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new UsageError(`--env wants KEY=VALUE, got "${pair}"`);
      options.overrides[pair.slice(0, eq)] = pair.slice(eq + 1);
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${readFileSync(__filename, 'utf8').split('*/')[0]}*/\n`);
      process.exit(0);
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else options.workflow = path.resolve(arg);
  }
  return options;
}

// ---- expressions: the few a pipeline example needs ---------------------------------

interface Context {
  github: Record<string, string>;
  env: Record<string, string>;
  /** The job's status so far, for success() / failure(). */
  failed: boolean;
}

/** ${{ github.x }}, ${{ env.X }}, ${{ secrets.X }}, ${{ vars.X }}: anything else is refused by name. */
function lookup(name: string, ctx: Context): string {
  const [scope, key, ...rest] = name.split('.');
  if (key === undefined || rest.length > 0) throw new UsageError(`unsupported expression "${name}"`);
  switch (scope) {
    case 'github':
      return ctx.github[key] ?? '';
    case 'env':
      return ctx.env[key] ?? '';
    case 'secrets':
    case 'vars':
      // Locally, secrets and variables come from this process's environment (empty when unset, as on GitHub).
      return process.env[key] ?? '';
    default:
      throw new UsageError(`unsupported expression "${name}"`);
  }
}

/** `a == 'b'`, `!=`, `&&`, `||`, `!`, parentheses, always(), success(), failure(), cancelled(). */
function evaluate(expression: string, ctx: Context): string | boolean {
  const tokens = expression.match(
    /\s*('(?:[^']|'')*'|==|!=|&&|\|\||!|\(|\)|[A-Za-z_][\w.-]*\(\)|[A-Za-z_][\w.-]*|\S)/g,
  );
  if (!tokens) return '';
  let at = 0;
  const peek = () => tokens[at]?.trim();
  const next = () => tokens[at++]?.trim();
  const truthy = (v: string | boolean) => (typeof v === 'boolean' ? v : v !== '');
  const primary = (): string | boolean => {
    const token = next();
    if (token === undefined) throw new UsageError(`incomplete expression "${expression}"`);
    if (token === '!') return !truthy(primary());
    if (token === '(') {
      const value = or();
      if (next() !== ')') throw new UsageError(`missing ")" in "${expression}"`);
      return value;
    }
    if (token.startsWith("'")) return token.slice(1, -1).replace(/''/g, "'");
    if (token === 'true' || token === 'false') return token === 'true';
    switch (token) {
      case 'always()':
        return true;
      case 'success()':
        return !ctx.failed;
      case 'failure()':
        return ctx.failed;
      case 'cancelled()':
        return false;
    }
    if (/^[A-Za-z_][\w.-]*$/.test(token)) return lookup(token, ctx);
    throw new UsageError(`unsupported expression "${expression}" (at "${token}")`);
  };
  const comparison = (): string | boolean => {
    const left = primary();
    const op = peek();
    if (op !== '==' && op !== '!=') return left;
    next();
    const right = primary();
    const equal = String(left).toLowerCase() === String(right).toLowerCase();
    return op === '==' ? equal : !equal;
  };
  const and = (): string | boolean => {
    let value = comparison();
    while (peek() === '&&') {
      next();
      const right = comparison();
      value = truthy(value) ? right : value;
    }
    return value;
  };
  const or = (): string | boolean => {
    let value = and();
    while (peek() === '||') {
      next();
      const right = and();
      value = truthy(value) ? value : right;
    }
    return value;
  };
  const value = or();
  if (at < tokens.length) throw new UsageError(`unsupported expression "${expression}"`);
  return value;
}

function interpolate(text: string, ctx: Context): string {
  return text.replace(/\$\{\{(.*?)\}\}/g, (_, inner: string) => String(evaluate(inner.trim(), ctx)));
}

/** A step or job runs when its `if:` holds; without one, only while nothing failed (success()). */
function shouldRun(condition: string | boolean | undefined, ctx: Context): boolean {
  if (condition === undefined) return !ctx.failed;
  if (typeof condition === 'boolean') return condition && !ctx.failed;
  const expression = condition.trim().replace(/^\$\{\{(.*)\}\}$/s, '$1');
  const statusCheck = /\b(always|success|failure|cancelled)\(\)/.test(expression);
  const value = evaluate(expression, ctx);
  const holds = typeof value === 'boolean' ? value : value !== '';
  // As on GitHub: a condition without a status function implies success().
  return statusCheck ? holds : holds && !ctx.failed;
}

// ---- the run ------------------------------------------------------------------------

/** Jobs in an order that honours `needs` (stable: file order otherwise). */
function orderJobs(jobs: Record<string, Job>, wanted: string[]): string[] {
  for (const name of wanted) if (!jobs[name]) throw new UsageError(`no job "${name}" in the workflow`);
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (name: string) => {
    if (order.includes(name)) return;
    if (visiting.has(name)) throw new UsageError(`jobs need each other in a cycle at "${name}"`);
    const job = jobs[name];
    if (!job) throw new UsageError(`a job needs "${name}", which does not exist`);
    visiting.add(name);
    const needs = job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs];
    for (const need of needs) visit(need);
    visiting.delete(name);
    order.push(name);
  };
  for (const name of wanted.length > 0 ? wanted : Object.keys(jobs)) visit(name);
  return order;
}

function gitSha(workdir: string): string {
  const result = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: workdir, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : '0'.repeat(40);
}

function githubDefaults(options: Options, workflow: Workflow, runnerTemp: string): Record<string, string> {
  const runId = `${Date.now()}${randomInt(100, 999)}`;
  return {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKFLOW: workflow.name ?? path.basename(options.workflow),
    GITHUB_RUN_ID: runId,
    GITHUB_RUN_NUMBER: '1',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_EVENT_NAME: options.event,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_SHA: gitSha(options.workdir),
    GITHUB_ACTOR: process.env.USER || 'local',
    GITHUB_REPOSITORY: `local/${path.basename(options.workdir)}`,
    GITHUB_WORKSPACE: options.workdir,
    RUNNER_OS: 'Linux',
    RUNNER_TEMP: runnerTemp,
  };
}

/** `KEY=value` lines and `KEY<<DELIM ... DELIM` blocks, as GitHub reads $GITHUB_ENV. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const block = /^([A-Za-z_][A-Za-z0-9_]*)<<(.+)$/.exec(line);
    if (block) {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== block[2]; i++) body.push(lines[i]!);
      out[block[1]!] = body.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

function stringEnv(env: Record<string, unknown> | undefined, ctx: Context): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env ?? {})) {
    out[key] = interpolate(value === null || value === undefined ? '' : String(value), ctx);
  }
  return out;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

function run(options: Options): number {
  let workflow: Workflow;
  try {
    workflow = parse(readFileSync(options.workflow, 'utf8')) as Workflow;
  } catch (err) {
    throw new UsageError(`cannot read workflow ${options.workflow}: ${(err as Error).message}`);
  }
  if (!workflow?.jobs || typeof workflow.jobs !== 'object')
    throw new UsageError(`${options.workflow} has no jobs`);
  const runnerTemp = mkdtempSync(path.join(tmpdir(), 'ripcord-gha-'));
  try {
    const github = githubDefaults(options, workflow, runnerTemp);
    const githubContext: Record<string, string> = {
      event_name: options.event,
      ref: github.GITHUB_REF!,
      ref_name: github.GITHUB_REF_NAME!,
      sha: github.GITHUB_SHA!,
      run_id: github.GITHUB_RUN_ID!,
      run_attempt: github.GITHUB_RUN_ATTEMPT!,
      actor: github.GITHUB_ACTOR!,
      repository: github.GITHUB_REPOSITORY!,
      workspace: options.workdir,
    };
    let firstFailure = 0;
    for (const jobName of orderJobs(workflow.jobs, options.jobs)) {
      const job = workflow.jobs[jobName]!;
      const ctx: Context = { github: githubContext, env: {}, failed: firstFailure !== 0 };
      ctx.env = { ...stringEnv(workflow.env, ctx) };
      if (!shouldRun(job.if, ctx)) {
        say(`::job ${jobName}: skipped (if: ${String(job.if ?? 'success()')})`);
        continue;
      }
      say(`::job ${jobName}${job.name ? ` (${job.name})` : ''}`);
      ctx.env = { ...ctx.env, ...stringEnv(job.env, ctx) };
      // Set by steps through $GITHUB_ENV, for the steps after them in this job.
      const exported: Record<string, string> = {};
      ctx.failed = false;
      let jobFailure = 0;
      (job.steps ?? []).forEach((step, index) => {
        const label = step.name ?? step.id ?? step.uses ?? `step ${index + 1}`;
        const stepCtx: Context = {
          ...ctx,
          env: { ...ctx.env, ...exported, ...options.overrides },
          failed: jobFailure !== 0,
        };
        if (step.uses) {
          say(
            `::step ${label}: skipped (uses: ${step.uses} is a runner action; locally the workdir is the checkout)`,
          );
          return;
        }
        if (step.run === undefined) return;
        if (step.id && options.skip.has(step.id)) {
          say(`::step ${label}: skipped (--skip ${step.id})`);
          return;
        }
        if (!shouldRun(step.if, stepCtx)) {
          say(`::step ${label}: skipped (if: ${String(step.if ?? 'success()')})`);
          return;
        }
        if (step.shell && step.shell !== 'bash')
          throw new UsageError(`step "${label}": only bash steps run locally`);
        const envFile = path.join(runnerTemp, `env-${jobName}-${index}`);
        writeFileSync(envFile, '');
        const script = path.join(runnerTemp, `step-${jobName}-${index}.sh`);
        writeFileSync(script, interpolate(step.run, stepCtx));
        // Precedence as on GitHub (workflow < job < $GITHUB_ENV < step), then the local overrides.
        const stepEnv = { ...stepCtx.env, ...stringEnv(step.env, stepCtx), ...options.overrides };
        say(`::step ${label}`);
        const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
          cwd: step['working-directory']
            ? path.resolve(options.workdir, step['working-directory'])
            : options.workdir,
          env: {
            ...process.env,
            ...github,
            ...stepEnv,
            GITHUB_ENV: envFile,
            GITHUB_OUTPUT: path.join(runnerTemp, `output-${jobName}-${index}`),
            GITHUB_STEP_SUMMARY: path.join(runnerTemp, `summary-${jobName}-${index}`),
            GITHUB_JOB: jobName,
          },
          stdio: 'inherit',
        });
        Object.assign(exported, parseEnvFile(readFileSync(envFile, 'utf8')));
        const code = result.status ?? 1;
        if (code !== 0) {
          say(`::step ${label}: exit ${code}${result.signal ? ` (${result.signal})` : ''}`);
          if (jobFailure === 0) jobFailure = code;
        }
      });
      if (jobFailure !== 0) {
        say(`::job ${jobName}: failed with exit ${jobFailure}`);
        if (firstFailure === 0) firstFailure = jobFailure;
      }
    }
    return firstFailure;
  } finally {
    rmSync(runnerTemp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  try {
    process.exitCode = run(parseArgs(process.argv.slice(2)));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`run-github-actions-example: ${err.message}\n`);
    process.exitCode = USAGE;
  }
}
