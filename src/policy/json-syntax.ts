/**
 * Finds the first syntax error in JSON text and where it is. Node's JSON.parse
 * says what is wrong but not where, and a policy author needs the line. The
 * values themselves are read by the YAML parser (JSON is YAML), which is more
 * lenient than JSON; this check keeps `.json` files honest JSON.
 */
export function jsonSyntaxError(text: string): { offset: number; message: string } | undefined {
  let pos = 0;
  const fail = (message: string): never => {
    throw new JsonSyntax(pos, message);
  };
  const skipSpace = () => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos] ?? '')) pos++;
  };
  const expectChar = (char: string) => {
    if (text[pos] !== char) fail(`expected "${char}"`);
    pos++;
  };
  const string = () => {
    expectChar('"');
    while (pos < text.length) {
      const char = text[pos] ?? '';
      if (char === '"') {
        pos++;
        return;
      }
      if (char === '\\') {
        const next = text[pos + 1] ?? '';
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) fail('bad \\u escape');
          pos += 6;
        } else if ('"\\/bfnrt'.includes(next) && next !== '') {
          pos += 2;
        } else {
          fail('bad escape in string');
        }
      } else if (char < ' ') {
        fail('control character in string');
      } else {
        pos++;
      }
    }
    fail('unterminated string');
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(pos, pos + 400));
    if (match === null || match[0] === '' || match[0] === '-') fail('expected a value');
    pos += match?.[0].length ?? 0;
  };
  const value = (depth: number): void => {
    if (depth > 200) fail('nested too deeply');
    skipSpace();
    const char = text[pos];
    if (char === '{') {
      pos++;
      skipSpace();
      if (text[pos] === '}') {
        pos++;
        return;
      }
      for (;;) {
        skipSpace();
        string();
        skipSpace();
        expectChar(':');
        value(depth + 1);
        skipSpace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        expectChar('}');
        return;
      }
    }
    if (char === '[') {
      pos++;
      skipSpace();
      if (text[pos] === ']') {
        pos++;
        return;
      }
      for (;;) {
        value(depth + 1);
        skipSpace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        expectChar(']');
        return;
      }
    }
    if (char === '"') return string();
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, pos)) {
        pos += literal.length;
        return;
      }
    }
    number();
  };
  try {
    value(0);
    skipSpace();
    if (pos < text.length) fail('unexpected text after the JSON value');
    return undefined;
  } catch (error) {
    if (error instanceof JsonSyntax) return { offset: error.offset, message: error.message };
    throw error;
  }
}

class JsonSyntax extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}
