import { parseBashTime, timeCommand } from '../../../bench/lib/time-command';

/** How bench:cli times a command (bash's `time`): the parsing, the exit code and stderr; never how long it took. */
describe('timing a command', () => {
  it("reads bash's %3R %3U %3S line as wall and user + system milliseconds", () => {
    expect(parseBashTime('0.079 0.069 0.004\n')).toEqual({ wallMs: 79, cpuMs: 73 });
    expect(() => parseBashTime('real 0m0.079s')).toThrow(/unexpected output/);
  });

  it("keeps the command's exit code and stderr apart from the timing", () => {
    const run = timeCommand([
      process.execPath,
      '-e',
      'console.log("out"); console.error("err"); process.exit(3)',
    ]);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe('err\n');
    expect(Number.isInteger(run.wallMs) && Number.isInteger(run.cpuMs)).toBe(true);
  });
});
