import type { Command } from 'commander';
import type { CliIo, CommandResult } from '../io.js';

/** `mcptest mcp-server`: serve mcptest's verbs to agents over MCP stdio. */
export function registerMcpServer(program: Command, io: CliIo, result: CommandResult): void {
  program
    .command('mcp-server')
    .description(
      'serve mcptest to AI agents as an MCP server over stdio (2026-07-28 and 2025 agents alike): list_tools, call_tool, get_prompt, read_resource, scaffold_suite, propose_assertions, run_suite, doctor, auth_status, login_device_start, login_status',
    )
    .option(
      '--allow-env <names...>',
      'the only env vars verbs may read as credentials (comma or space separated; also MCPTEST_AGENT_ALLOW_ENV); default: any',
    )
    .addHelpText(
      'after',
      `
stdout carries the MCP protocol; nothing else is printed there. Agents of both MCP eras are
served: a 2026-07-28 client (no initialize, the version in _meta of every request) and a 2025
client (initialize). Register it in an agent's MCP
config, passing through the env vars that bearer_token_env / client_secret_env name (they are
read from this process's environment; only their names travel in requests):

  {"mcpServers": {"mcptest": {"command": "mcptest", "args": ["mcp-server"],
                              "env": {"MCP_TOKEN": "..."}}}}

  claude mcp add mcptest -e MCP_TOKEN=... -- mcptest mcp-server

A verb call looks like: list_tools { "url": "https://mcp.example.com/mcp", "bearer_token_env": "MCP_TOKEN" }
Auth failures come back as isError results with the CLI's message and error.ask_human: the one
thing the agent should ask its human for. Verbs take "protocol" (auto, or a version such as
2026-07-28 or 2025-11-25) and say in "protocol" which era and version they spoke to the server.
When a server asks during call_tool (an elicitation, a sampling request, the roots), the answer
is status "needs_answers" with "asks" and an "answers_template"; call again with "answers".

An agent may name any env var of this process; to keep it to the ones meant for it (so that a
misled agent cannot send, say, a cloud key to a server of its choosing):

  mcptest mcp-server --allow-env MCP_TOKEN,MCP_CLIENT_SECRET

Verbs then see only those plus PATH, HOME, locale, proxy and MCPTEST_* variables.

A stdio server an agent starts (\`command\`) gets PATH, HOME, USER, LOGNAME, SHELL, TERM, the
locale, TZ and the temp folder variables, plus the --allow-env ones; nothing else of this
process's environment. It runs as you, though: to keep a secret out of its reach, do not give
this process the secret (start it with only what it needs: env -i PATH="$PATH" HOME="$HOME"
MCP_TOKEN=... mcptest mcp-server --allow-env MCP_TOKEN). Docs: docs/agents.md`,
    )
    .action(async (opts: { allowEnv?: string[] }) => {
      const { parseAllowEnv } = await import('../agent/env-allowlist.js');
      const allowEnv = parseAllowEnv(opts.allowEnv, io.env.MCPTEST_AGENT_ALLOW_ENV);
      if (allowEnv) {
        // A stdio server the agent names could read what this process started with from
        // /proc/<pid>/environ: only what the verbs may see stays there.
        const { restrictEnv } = await import('../agent/env-allowlist.js');
        const { hideStartEnvironment } = await import('../agent/hide-environ.js');
        const why = hideStartEnvironment(restrictEnv(io.env, allowEnv).env);
        if (why) {
          io.stderr(
            `warning: mcptest mcp-server could not hide the variables outside --allow-env from /proc/${process.pid}/environ (${why}); a stdio server an agent starts may read them there. Start mcp-server with only the variables it needs (env -i ...).\n`,
          );
        }
      }
      const { serveStdio } = await import('../agent/server.js');
      await serveStdio({
        env: io.env,
        vars: io.vars,
        cwd: io.cwd,
        signal: io.signal,
        allowEnv,
        stderr: io.stderr,
      });
      result.exitCode = 0;
    });
}
