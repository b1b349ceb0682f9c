import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CANARY_POLICY, INVALID_DIR, ROOT, SHARED_HISTOGRAM_DIR } from './support';

const exec = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function ripcord(...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await exec('node', [path.join(ROOT, 'bin', 'ripcord.js'), ...args], {
      cwd: ROOT,
      maxBuffer: 20 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

jest.setTimeout(60_000);

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ripcord-simulate-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('ripcord simulate', () => {
  it('--json prints exactly one JSON object per scenario per line and nothing else', async () => {
    const out = await ripcord(
      'simulate',
      '--policy',
      CANARY_POLICY,
      '--scenario',
      SHARED_HISTOGRAM_DIR,
      '--json',
    );
    expect(out.code).toBe(0);
    expect(out.stderr).toBe('');
    const lines = out.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(20);
    const names = new Set<string>();
    for (const line of lines) {
      const result = JSON.parse(line) as Record<string, unknown>;
      expect(Object.keys(result)).toEqual(['scenario', 'decision', 'decidedAtIndex', 'reason', 'evidence']);
      expect(['rollback', 'escalate', 'no-rollback']).toContain(result.decision);
      expect(result.decidedAtIndex === null || Number.isInteger(result.decidedAtIndex)).toBe(true);
      expect(typeof result.reason).toBe('string');
      expect((result.reason as string).includes('\n')).toBe(false);
      names.add(result.scenario as string);
    }
    expect(names.size).toBe(20);
  });

  it('refuses invalid scenario files with exit 1, naming the file and the field, and prints no results', async () => {
    const notJson = path.join(tmp, 'not-json.json');
    await writeFile(notJson, '{"format": "ripcord.scenario/v1", "name": ');
    const out = await ripcord(
      'simulate',
      '--policy',
      CANARY_POLICY,
      '--scenario',
      path.join(SHARED_HISTOGRAM_DIR, 'healthy-00.json'),
      INVALID_DIR,
      notJson,
      '--json',
    );
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(`${path.join(INVALID_DIR, 'bad-counts.json')}: series.errors.canary[3]:`);
    expect(out.stderr).toContain(`${path.join(INVALID_DIR, 'wrong-format.json')}: format:`);
    expect(out.stderr).toContain(`${notJson}: not valid JSON`);
  });

  it('refuses a scenario that lacks a series the policy reads', async () => {
    const doc = JSON.parse(await readFile(path.join(SHARED_HISTOGRAM_DIR, 'healthy-00.json'), 'utf8')) as {
      series: Record<string, unknown>;
    };
    // A histogram is there when any of its buckets is: without them canary.yaml's latency has nothing to read.
    for (const name of Object.keys(doc.series)) if (name.startsWith('latency_le_')) delete doc.series[name];
    const file = path.join(tmp, 'no-latency.json');
    await writeFile(file, JSON.stringify(doc));
    const out = await ripcord('simulate', '--policy', CANARY_POLICY, '--scenario', file, '--json');
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(`${file}: series.latency: the policy reads this series`);
  });

  it('prints a timeline per scenario for people, and draws them with --plot', async () => {
    const plot = path.join(tmp, 'plot.html');
    const out = await ripcord(
      'simulate',
      '--policy',
      CANARY_POLICY,
      '--scenario',
      path.join(SHARED_HISTOGRAM_DIR, 'transient-01.json'),
      path.join(SHARED_HISTOGRAM_DIR, 'crash-00.json'),
      '--plot',
      plot,
    );
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('transient-01');
    expect(out.stdout).toMatch(/decision: NO-ROLLBACK at the end of the watch/);
    expect(out.stdout).toMatch(/dismissed as transient/);
    expect(out.stdout).toMatch(/decision: ROLLBACK at interval \d+/);
    expect(out.stdout).toContain('^ onset (truth)');
    const html = await readFile(plot, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(html).toContain('crash-00');
    expect(html).toContain('onset');
    expect(html).toContain('rollback');
  });
});

describe('ripcord scenario generate', () => {
  it('writes seeded, reproducible, valid scenario files', async () => {
    const a = path.join(tmp, 'a');
    const b = path.join(tmp, 'b');
    const args = ['--kind', 'transient', '--seed', '5', '--count', '3', '--rps', '20', '--interval', '15'];
    expect((await ripcord('scenario', 'generate', ...args, '--out', a)).code).toBe(0);
    expect((await ripcord('scenario', 'generate', ...args, '--out', b)).code).toBe(0);
    const files = (await readdir(a)).sort();
    expect(files).toHaveLength(3);
    for (const f of files) {
      expect(await readFile(path.join(b, f), 'utf8')).toBe(await readFile(path.join(a, f), 'utf8'));
    }
    const validated = await ripcord('scenario', 'validate', a);
    expect(validated.code).toBe(0);
    expect(validated.stdout.split('\n').filter((l) => l.startsWith('ok '))).toHaveLength(3);
  });

  it('--histogram adds latency buckets; tail-slow-path is a kind', async () => {
    const out = path.join(tmp, 'histogram');
    const args = ['--kind', 'tail-slow-path', '--seed', '5', '--rps', '20', '--length', '60', '--histogram'];
    expect((await ripcord('scenario', 'generate', ...args, '--out', out)).code).toBe(0);
    const [file] = await readdir(out);
    const scenario = JSON.parse(await readFile(path.join(out, file ?? ''), 'utf8')) as {
      series: Record<string, unknown>;
      truth: { kind: string };
    };
    expect(Object.keys(scenario.series)).toEqual(
      expect.arrayContaining(['latency_le_25', 'latency_le_5000']),
    );
    expect(scenario.truth.kind).toBe('latency-tail');
    expect((await ripcord('scenario', 'validate', out)).code).toBe(0);
  });

  it('names the kinds it knows when given another', async () => {
    const out = await ripcord('scenario', 'generate', '--kind', 'meteor', '--seed', '1', '--out', tmp);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/unknown kind "meteor"; kinds: healthy, transient/);
  });
});
