import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { htmlReportFile } from '../../../src/cli/commands/report';
import { buildProgram } from '../../../src/cli/main';
import { REPO_ROOT } from './helpers';

/**
 * Issue 17, "files land where they belong": nothing the repository tells a
 * person to run or read points outside it, and what the README's commands
 * generate is ignored by git and by `prettier --check .` (so `npm test` passes).
 */

function filesUnder(dir: string, ext: RegExp): string[] {
  const abs = path.join(REPO_ROOT, dir);
  if (!existsSync(abs)) return [];
  if (statSync(abs).isFile()) return [abs];
  return readdirSync(abs, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(abs, f))
    .filter((f) => ext.test(f) && statSync(f).isFile());
}

const DOCS = [
  'README.md',
  'package.json',
  ...filesUnder('docs', /\.(md|ya?ml|json)$/),
  ...filesUnder('examples', /\.(md|ya?ml|json|sh)$/),
  ...filesUnder('scripts', /\.(sh|js|ts)$/),
  ...filesUnder('temporal-config', /\.(md|ya?ml)$/),
  ...filesUnder('bench', /\.(md|ts)$/),
  // The sources too: a relative import such as '../shared/x' reads as the path outside the clone.
  ...filesUnder('src', /\.ts$/),
  ...filesUnder('policies', /\.ya?ml$/),
].map((f) => path.resolve(REPO_ROOT, f));

const PRETTIER = path.join(REPO_ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs');

/** What `prettier --check .` (npm run lint) makes of the file: its CLI reads .gitignore and .prettierignore. */
function prettierIgnores(file: string): boolean {
  const result = spawnSync(process.execPath, [PRETTIER, '--file-info', file], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return (JSON.parse(result.stdout) as { ignored: boolean }).ignored;
}

function everyCommand(command: Command): Command[] {
  return [command, ...command.commands.flatMap(everyCommand)];
}

describe('nothing points outside the repository', () => {
  it.each(DOCS.map((f) => [path.relative(REPO_ROOT, f), f]))('%s names no ../shared path', (_name, file) => {
    const hits = readFileSync(file, 'utf8')
      .split('\n')
      .map((line, i) => ({ line: i + 1, text: line }))
      .filter(({ text }) => text.includes('../shared'));
    expect(hits).toEqual([]);
  });

  it('no help text of any command names ../shared', () => {
    const offenders = everyCommand(buildProgram())
      .filter((c) => c.helpInformation().includes('../shared'))
      .map((c) => c.name());
    expect(offenders).toEqual([]);
  });

  it("the README's and docs' relative links resolve to files inside the repository", () => {
    const broken: string[] = [];
    for (const file of [path.join(REPO_ROOT, 'README.md'), ...filesUnder('docs', /\.md$/)]) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]!.split('#')[0]!;
        if (target === '' || /^[a-z]+:/i.test(target)) continue; // an anchor or a URL
        const resolved = path.resolve(path.dirname(file), target);
        const inside = !path.relative(REPO_ROOT, resolved).startsWith('..');
        if (!inside || !existsSync(resolved)) broken.push(`${path.relative(REPO_ROOT, file)}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe('generated files are ignored by git and prettier', () => {
  // What the README's commands write: keys, reports, databases, audit trails, scenarios.
  const GENERATED = [
    'keys/jwks.json',
    'keys/me.private.jwk.json',
    'keys/ripcord-audit.public.jwk.json',
    'elsewhere/ops.private.jwk.json',
    '.ripcord/reports/build-481.html',
    '.ripcord/temporal.db',
    '.ripcord/audit.jsonl',
    '.ripcord/scenarios/error-step-1.json',
    'build-481.html',
    'temporal.db',
    'temporal.db-wal',
    'temporal.db.lock',
    'audit.jsonl',
    'scenarios/error-step-1.json',
    'ripcord-policy.schema.json',
  ];

  it.each(GENERATED)('%s is git-ignored', (file) => {
    const result = spawnSync('git', ['check-ignore', '--no-index', '-q', file], { cwd: REPO_ROOT });
    expect(result.status).toBe(0);
  });

  it.each(GENERATED)('%s is prettier-ignored', (file) => {
    expect(prettierIgnores(file)).toBe(true);
  });

  it('the files the repository ships are not ignored', () => {
    for (const file of ['README.md', 'policies/examples/canary.yaml', 'examples/worker-targets.yaml']) {
      const result = spawnSync('git', ['check-ignore', '--no-index', '-q', file], { cwd: REPO_ROOT });
      expect(result.status).toBe(1);
      expect(prettierIgnores(file)).toBe(false);
    }
  });
});

describe('report --html', () => {
  it('takes no path: the page goes under .ripcord/reports/, named after the deployment', () => {
    const html = buildProgram()
      .commands.find((c) => c.name() === 'report')!
      .options.find((o) => o.long === '--html')!;
    expect(html.optional).toBe(true);
    expect(htmlReportFile(true, 'build-481')).toBe(path.resolve('.ripcord', 'reports', 'build-481.html'));
    expect(htmlReportFile(true, 'ripcord/production/checkout/build-481')).toBe(
      path.resolve('.ripcord', 'reports', 'build-481.html'),
    );
    expect(htmlReportFile(true, '../../etc/x')).toBe(path.resolve('.ripcord', 'reports', 'x.html'));
    expect(htmlReportFile(true, '..')).toBe(path.resolve('.ripcord', 'reports', '_.html'));
  });

  it('writes where it is told when given a path', () => {
    expect(htmlReportFile('out/r.html', 'build-481')).toBe(path.resolve('out', 'r.html'));
  });
});
