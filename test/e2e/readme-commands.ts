/**
 * The commands of one README section, as a person reads them: shell lines
 * joined across `\` continuations, with their comments, and whether the README
 * says to run them in their own terminal (they keep running).
 */
export interface ReadmeCommand {
  /** The command line exactly as written, continuations joined, comment removed. */
  line: string;
  /** The comment on the command and the comment lines right above or under it. */
  comment: string;
  ownTerminal: boolean;
}

/** The first ```sh block under `## <heading>`. */
export function shellBlockUnder(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no "## ${heading}" section`);
  const rest = markdown.slice(start + 1);
  const end = rest.indexOf('\n## ');
  const section = end < 0 ? rest : rest.slice(0, end);
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error(`"## ${heading}" has no sh code block`);
  return block[1]!;
}

export function readmeCommands(block: string): ReadmeCommand[] {
  const commands: ReadmeCommand[] = [];
  let commentAbove: string[] = [];
  let last: ReadmeCommand | undefined;
  const lines = block.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (trimmed === '') {
      commentAbove = [];
      last = undefined;
      continue;
    }
    if (trimmed.startsWith('#')) {
      // A comment indented under a command continues that command's comment; one at the margin
      // introduces the next command.
      if (last && /^\s/.test(raw)) last.comment += ` ${trimmed.slice(1).trim()}`;
      else commentAbove.push(trimmed.slice(1).trim());
      continue;
    }
    let text = raw;
    while (text.trimEnd().endsWith('\\') && i + 1 < lines.length) {
      text = `${text.trimEnd().slice(0, -1)} ${lines[++i]!.trim()}`;
    }
    const { code, comment } = splitComment(text);
    last = {
      line: code.replace(/\s+/g, ' ').trim(),
      comment: [...commentAbove, comment].join(' ').trim(),
      ownTerminal: false,
    };
    commands.push(last);
    commentAbove = [];
  }
  for (const command of commands) command.ownTerminal = /own terminal/i.test(command.comment);
  return commands;
}

/** Splits a shell line at its first `#` that starts a word outside quotes. */
function splitComment(text: string): { code: string; comment: string } {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!)))
      return { code: text.slice(0, i), comment: text.slice(i + 1).trim() };
  }
  return { code: text, comment: '' };
}
