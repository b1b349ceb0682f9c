import { createBoard } from '../../../../src/dev/demo/board';

const CLEAR = '\r\x1b[2K';

function recorder() {
  const out: string[] = [];
  return { out, write: (text: string) => out.push(text), text: () => out.join('') };
}

describe('a terminal board', () => {
  test('redraws the status line in place and keeps it below the event lines', () => {
    const r = recorder();
    const board = createBoard({ write: r.write, tty: true, columns: () => 80 });
    board.status('watch [#-----] 3s/60s watch');
    board.status('watch [#-----] 3s/60s watch'); // unchanged: not drawn again
    board.status('watch [##----] 6s/60s watch');
    board.say('[10:00:06] verdict healthy at interval 1');
    board.close();
    expect(r.out).toEqual([
      `${CLEAR}watch [#-----] 3s/60s watch`,
      `${CLEAR}watch [##----] 6s/60s watch`,
      `${CLEAR}[10:00:06] verdict healthy at interval 1\n`,
      `${CLEAR}watch [##----] 6s/60s watch`,
      CLEAR,
    ]);
  });

  test('a status line wider than the terminal is cut, so that it can be erased', () => {
    const r = recorder();
    const board = createBoard({ write: r.write, tty: true, columns: () => 20 });
    board.status('x'.repeat(50));
    expect(r.out[0]).toBe(`${CLEAR}${'x'.repeat(18)}…`);
  });

  test('a terminal that does not say its width gets 80 columns', () => {
    const r = recorder();
    const board = createBoard({ write: r.write, tty: true, columns: () => 0 });
    board.status('y'.repeat(100));
    expect(r.out[0]).toBe(`${CLEAR}${'y'.repeat(78)}…`);
  });

  test('event lines without a status line are plain lines', () => {
    const r = recorder();
    const board = createBoard({ write: r.write, tty: true });
    board.say('one');
    board.status(undefined);
    board.close();
    expect(r.text()).toBe('one\n');
  });
});

describe('a log board (not a terminal)', () => {
  test('prints the status as a line at most every few seconds, with the time in front', () => {
    let now = 0;
    const r = recorder();
    const board = createBoard({
      write: r.write,
      tty: false,
      everyMs: 5000,
      now: () => now,
      prefix: () => '[t] ',
    });
    board.status('a');
    now = 2000;
    board.status('b');
    board.say('event');
    now = 5000;
    board.status('c');
    board.status(undefined);
    now = 11000;
    board.status('d');
    board.close();
    expect(r.text()).toBe('[t] a\nevent\n[t] c\n[t] d\n');
    expect(r.text()).not.toContain('\x1b');
  });
});
