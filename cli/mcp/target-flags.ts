/**
 * The flags that name a server again on a command line, for hints and messages: `--url` with
 * the names of the credential env vars (never a value), or `--command`/`--arg`, or the plain
 * shell line that starts a stdio server. Imports nothing of the connection itself.
 */
import { splitCommandLine } from './command-line.js';
import type { ServerTarget } from './target.js';

/** Quotes a word for a POSIX shell when it needs it. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command line that starts a stdio target, as words a shell splits as mcptest does. */
function shellLine(target: ServerTarget): string {
  let words = [target.command ?? '', ...(target.args ?? [])];
  try {
    // `--command "node server.js"` is a whole command line: pasted, it must stay several words.
    const split = splitCommandLine(words[0], words.slice(1), target.cwd ?? process.cwd());
    words = [split.command, ...split.args];
  } catch {
    // an empty or unclosed command: shown as given
  }
  return words.map(shellWord).join(' ');
}

/**
 * The flags that name `target` again on a command line, for hints: `--url` with the names of
 * the credential env vars (never a value), or `--command`/`--arg`. With `'shell'`, a stdio
 * target is given as the plain command line that starts it.
 */
export function targetFlags(target: ServerTarget, form: 'flags' | 'shell' = 'flags'): string {
  if (!target.url) {
    if (form === 'shell') return shellLine(target);
    const words = [target.command ?? '', ...(target.args ?? [])].map(shellWord);
    const pin = target.protocol && target.protocol !== 'auto' ? [`--protocol ${target.protocol}`] : [];
    return [`--command ${words[0]}`, ...words.slice(1).map((a) => `--arg ${a}`), ...pin].join(' ');
  }
  const parts = [`--url ${shellWord(target.url)}`];
  if (target.bearerTokenEnv) parts.push(`--bearer-token-env ${target.bearerTokenEnv}`);
  if (target.oauth) {
    parts.push(`--client-id ${shellWord(target.oauth.clientId)}`);
    if (target.oauth.clientSecretEnv) parts.push(`--client-secret-env ${target.oauth.clientSecretEnv}`);
  }
  if (target.protocol && target.protocol !== 'auto') parts.push(`--protocol ${target.protocol}`);
  return parts.join(' ');
}
