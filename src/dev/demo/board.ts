/**
 * Where the demo's lines go. Events (a verdict, a step, the approval command)
 * are lines, always. The live status line is redrawn in place at the bottom
 * of a terminal; in a log or a pipe, where nothing can be redrawn, it is
 * printed as an ordinary line every few seconds instead.
 */
export interface Board {
  /** An event line. */
  say(line: string): void;
  /** The live status; undefined removes it. Call it as often as it changes. */
  status(line: string | undefined): void;
  /** Removes the live status from a terminal (before the final report). */
  close(): void;
}

export interface BoardOptions {
  write(text: string): void;
  /** A terminal, where a line can be redrawn (process.stdout.isTTY). */
  tty: boolean;
  /** The terminal's width; a redrawn line must not wrap, or it could not be erased. */
  columns?: () => number | undefined;
  /** Not a terminal: at most one status line this often. */
  everyMs?: number;
  /** Not a terminal: put in front of each status line (the time, as the event lines have). */
  prefix?: () => string;
  now?: () => number;
}

const CLEAR_LINE = '\r\x1b[2K';
const DEFAULT_EVERY_MS = 5_000;
const DEFAULT_COLUMNS = 80;

export function createBoard(options: BoardOptions): Board {
  return options.tty ? terminalBoard(options) : logBoard(options);
}

function terminalBoard(options: BoardOptions): Board {
  let current: string | undefined;
  let shown = false;
  const fit = (line: string) => {
    // A terminal that does not say its width (0 or undefined) gets the usual 80 columns.
    const columns = options.columns?.() || DEFAULT_COLUMNS;
    const width = Math.max(columns - 1, 10);
    return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
  };
  const draw = () => {
    if (current === undefined) {
      if (shown) options.write(CLEAR_LINE);
      shown = false;
      return;
    }
    options.write(`${CLEAR_LINE}${fit(current)}`);
    shown = true;
  };
  return {
    say(line) {
      options.write(`${shown ? CLEAR_LINE : ''}${line}\n`);
      shown = false;
      if (current !== undefined) draw();
    },
    status(line) {
      if (line === current && (shown || line === undefined)) return;
      current = line;
      draw();
    },
    close() {
      current = undefined;
      draw();
    },
  };
}

function logBoard(options: BoardOptions): Board {
  const every = options.everyMs ?? DEFAULT_EVERY_MS;
  const now = options.now ?? (() => Date.now());
  let lastPrinted: number | undefined;
  return {
    say(line) {
      options.write(`${line}\n`);
    },
    status(line) {
      if (line === undefined) return;
      const t = now();
      if (lastPrinted !== undefined && t - lastPrinted < every) return;
      lastPrinted = t;
      options.write(`${options.prefix?.() ?? ''}${line}\n`);
    },
    close() {},
  };
}
