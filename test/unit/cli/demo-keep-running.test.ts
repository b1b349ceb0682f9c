import { type DemoOptions, type DemoReport, runDemo } from '../../../src/dev/demo';
import { main } from '../../../src/cli/main';

/**
 * Issue 17: `ripcord demo --keep-running` prints the timeline and the outcome
 * as soon as the story ends, before it waits, and ends with exit 0 on Ctrl-C.
 * The stack itself is stood in for: runDemo keeps its contract (the story's
 * report to onStoryEnd, then the wait until the signal aborts).
 */
jest.mock('../../../src/dev/demo', () => ({
  ...jest.requireActual<object>('../../../src/dev/demo'),
  runDemo: jest.fn(),
}));

const REPORT: DemoReport = {
  end: { kind: 'outcome', outcome: 'rolled-back', reason: 'rolled back to 1.9.0' },
  expected: 'rolled-back',
  deploymentId: 'demo-1',
  timeline: ['  00:00:01  T+ 1.0s  (+ 1.0s)  deploy  checkout 2.0.0 at 50%'],
  facts: ['nginx:          1.9.0 only'],
  auditFile: '/tmp/demo/audit.jsonl',
};

let out = '';
beforeEach(() => {
  out = '';
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  jest.mocked(runDemo).mockImplementation(async (options: DemoOptions) => {
    options.say('story "bad-canary": a bad canary');
    if (options.keepRunning) {
      options.onStoryEnd?.(REPORT);
      options.say('the stack stays up for the Web UI at http://127.0.0.1:8233/x — Ctrl-C to stop');
      await new Promise((r) => options.signal.addEventListener('abort', r, { once: true }));
    }
    return REPORT;
  });
});
afterEach(() => jest.restoreAllMocks());

async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((r) => setTimeout(r, 10));
}

describe('ripcord demo --keep-running', () => {
  it('prints the timeline and the outcome before it waits, and exits 0 on Ctrl-C', async () => {
    const done = main(['node', 'ripcord', 'demo', '--keep-running']);
    await until(() => out.includes('Ctrl-C to stop'));
    const beforeWait = out;
    expect(beforeWait).toContain('timeline:\n  00:00:01  T+ 1.0s');
    expect(beforeWait).toContain('outcome: rolled-back: rolled back to 1.9.0');
    expect(beforeWait.indexOf('timeline:')).toBeLessThan(beforeWait.indexOf('Ctrl-C to stop'));

    // One Ctrl-C under `npm run demo` arrives twice: the terminal's and the one npm forwards.
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGINT', 'SIGINT');
    expect(await done).toBe(0);
    // The timeline is told once; the last line still says how the story ended.
    expect(out.split('timeline:')).toHaveLength(2);
    expect(out.trim().split('\n').at(-1)).toBe('outcome: rolled-back: rolled back to 1.9.0');
  });

  it('without --keep-running tells the same story once, at the end', async () => {
    expect(await main(['node', 'ripcord', 'demo'])).toBe(0);
    expect(out.split('timeline:')).toHaveLength(2);
    expect(out).toContain('nginx:          1.9.0 only');
    expect(out.trim().split('\n').at(-1)).toBe('outcome: rolled-back: rolled back to 1.9.0');
  });
});
