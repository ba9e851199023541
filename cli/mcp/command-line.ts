/**
 * `--command "node server.js --stdio"` and `command: node server.js` in YAML: people write the
 * whole command line where one program is expected. When the text names no existing file, it
 * is split into words the way a POSIX shell would (quotes and backslashes, no expansion) and the
 * words after the first go before the given args.
 */
import fs from 'node:fs';
import path from 'node:path';
import { McptestError } from '../../shared/errors.js';

export function splitCommandLine(
  command: string,
  args: readonly string[],
  cwd: string,
): { command: string; args: string[] } {
  const line = command.trim();
  if (line !== '' && (!/\s/.test(line) || fs.existsSync(path.resolve(cwd, command)))) {
    return { command, args: [...args] };
  }
  const words = shellWords(line);
  if (words.length === 0) {
    throw new McptestError('invalid_request', 'the stdio command is empty', {
      hint: 'give a program: --command node --arg server.js',
    });
  }
  return { command: words[0], args: [...words.slice(1), ...args] };
}

/** POSIX-shell word splitting without expansion: '…' is literal, "…" and bare text honour \. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) {
    throw new McptestError('invalid_request', `the stdio command has an unclosed ${quote} quote: ${line}`, {
      hint: 'close the quote, or give the program and each argument apart: --command node --arg "my server.js"',
    });
  }
  if (inWord) words.push(word);
  return words;
}
