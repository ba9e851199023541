/**
 * The environment a spawned stdio server gets: a fixed set of variables that say how to run
 * (the MCP SDK's default list, plus locale, time zone and temp folder), the variables the caller
 * passes by name (`mcptest mcp-server --allow-env`, `--env KEY`), and the values it gives
 * (`--env KEY=VALUE`, a suite's own `env:` entries). Never the rest: not mcptest's settings
 * (`MCPTEST_*`), not `NODE_OPTIONS`, not a token or secret variable the caller did not pass.
 * Documented in docs/cli.md, docs/agents.md and docs/suite-format.md.
 */

/** Names every stdio server gets when set: how to run, never a credential. */
const SAFE =
  /^(PATH|HOME|USER|LOGNAME|SHELL|TERM|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|TEMP|TMP|APPDATA|HOMEDRIVE|HOMEPATH|LOCALAPPDATA|PROCESSOR_ARCHITECTURE|SYSTEMDRIVE|SYSTEMROOT|USERNAME|USERPROFILE|PROGRAMFILES|COMSPEC|PATHEXT|WINDIR)$/;

/** True when `name` is in the fixed set every stdio server gets. */
export function isSafeForServers(name: string): boolean {
  // Windows spells them as it likes (SystemRoot, Path); POSIX names are upper case.
  return SAFE.test(process.platform === 'win32' ? name.toUpperCase() : name);
}

/**
 * The stdio server's whole environment: the safe set from `env`, the `passed` names from `vars`
 * (where named variables are read: the environment, then .env), then `extra` (a suite's `env:`),
 * which wins.
 */
export function stdioServerEnv(
  env: NodeJS.ProcessEnv,
  options: { vars?: NodeJS.ProcessEnv; passed?: Iterable<string>; extra?: Record<string, string> } = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  // An exported shell function (`BASH_FUNC_x%%=() { ...`) is code, not a setting.
  const usable = (value: string | undefined): value is string =>
    value !== undefined && !value.startsWith('()');
  for (const [name, value] of Object.entries(env)) {
    if (usable(value) && isSafeForServers(name)) out[name] = value;
  }
  const vars = options.vars ?? env;
  for (const name of options.passed ?? []) {
    const value = vars[name];
    if (usable(value)) out[name] = value;
  }
  return { ...out, ...options.extra };
}
