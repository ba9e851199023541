/**
 * Connecting to a stdio server: spawn it with the safe environment of stdio-env.ts, negotiate the
 * era the target asks for, and make sure no spawned process outlives the connection. Under
 * `auto` (and a pinned modern era) the SDK probes `server/discover` on a short-lived sibling
 * process spawned from the same parameters (so the same environment, cwd and command), reaps it,
 * and only then starts the real server; the real child is the one tracked and stopped here, and
 * its stderr is what an error quotes.
 * @see MCP spec 2025-11-25 "Transports" §stdio
 */
import type { ChildProcess } from 'node:child_process';
import type { Client } from '@modelcontextprotocol/client';
import { McptestError } from '../../shared/errors.js';
import { splitCommandLine } from './command-line.js';
import { type Negotiated, negotiated, newClient, protocolError } from './era.js';
import { explainError } from './explain-error.js';
import { stdioServerEnv } from './stdio-env.js';
import { targetFlags } from './target-flags.js';
import type { Ask, ConnectIo, ServerTarget } from './target.js';

export interface StdioConnection extends Negotiated {
  client: Client;
  explain(err: unknown): McptestError;
  close(): Promise<void>;
}

export async function connectStdio(
  target: ServerTarget,
  io: ConnectIo,
  asks: Ask[],
  timeoutMs: number,
): Promise<StdioConnection> {
  const cwd = target.cwd ?? io.cwd;
  const { command, args } = splitCommandLine(target.command as string, target.args ?? [], cwd);
  const where = `stdio server \`${[command, ...args].join(' ')}\``;
  const doctor = `mcptest doctor ${targetFlags(target)}`;
  const vars = io.vars ?? io.env;
  const unset = target.passEnv?.find((name) => vars[name] === undefined);
  if (unset) {
    throw new McptestError(
      'invalid_request',
      `--env ${unset}: ${unset} is not set in mcptest's environment`,
      {
        hint: `export ${unset}=...; or give the value: --env ${unset}=VALUE`,
      },
    );
  }
  // The safe set, the variables passed by name (--allow-env, --env KEY), --env KEY=VALUE and
  // the suite's `env:`; nothing else of ours. The probe sibling is spawned with the same.
  const env = stdioServerEnv(io.env, {
    vars: io.vars,
    passed: [...(io.passEnv ?? []), ...(target.passEnv ?? [])],
    extra: target.env,
  });
  const attempt = await spawnAndConnect(target, io, asks, { command, args, env, cwd }, timeoutMs);
  if (!attempt.error) {
    const { client, child, stderr } = attempt;
    const explain = (err: unknown) => {
      const e = explainError(err, where, doctor);
      const tail = stderr().trim();
      if (tail && e.code !== 'server_error' && e.code !== 'input_required') {
        return new McptestError(e.code, `${e.message}; its stderr ends: ${tail.slice(-500)}`, {
          hint: e.hint,
          details: e.details,
        });
      }
      return e;
    };
    return {
      client,
      ...negotiated(client),
      explain,
      close: async () => {
        await client.close().catch(() => undefined);
        await stopProcess(child.process);
      },
    };
  }
  const err = attempt.error;
  const errno = (err as NodeJS.ErrnoException)?.code;
  if (errno === 'ENOENT' || errno === 'EACCES') {
    throw new McptestError('connection_failed', `cannot start ${where} (${errno})`, {
      hint: 'check --command: give a program on PATH or a path to an executable',
      cause: err,
    });
  }
  let pinned = protocolError(err, target, where, 'tools');
  if (
    pinned &&
    target.protocol === '2026-07-28' &&
    !(pinned.details?.supported as string[] | undefined)?.length
  ) {
    // A 2025-only server: learn the version it speaks from a plain initialize.
    const legacy = await spawnAndConnect(target, io, [], { command, args, env, cwd }, timeoutMs, 'auto');
    if (!legacy.error) {
      const version =
        legacy.client.getProtocolEra() === 'legacy'
          ? legacy.client.getNegotiatedProtocolVersion()
          : undefined;
      await legacy.client.close().catch(() => undefined);
      await stopProcess(legacy.child.process);
      pinned = protocolError(err, target, where, 'tools', version) ?? pinned;
    }
  }
  if (pinned) throw pinned;
  const e = explainError(err, where, doctor);
  const exited =
    /connection closed/i.test(e.message) || (err as { code?: unknown })?.code === 'CONNECTION_CLOSED';
  const tail = attempt.stderr().trim().slice(-500);
  throw new McptestError(
    e.code === 'server_error' ? 'connection_failed' : e.code,
    `${where} ${exited ? 'exited before it initialized' : `did not initialize: ${e.message}`}${tail ? `; its stderr ends: ${tail}` : ''}`,
    {
      hint: exited ? `run it by hand to see why: ${targetFlags(target, 'shell')}` : e.hint,
      cause: err,
    },
  );
}

interface Spawned {
  client: Client;
  child: { process: ChildProcess | null };
  stderr: () => string;
  error?: unknown;
}

/** Spawns and connects once; on failure the child is stopped and its stderr drained. */
async function spawnAndConnect(
  target: ServerTarget,
  io: ConnectIo,
  asks: Ask[],
  params: { command: string; args: string[]; env: Record<string, string>; cwd: string },
  timeoutMs: number,
  protocol = target.protocol,
): Promise<Spawned> {
  const { StdioClientTransport } = await import('@modelcontextprotocol/client/stdio');
  const where = `stdio server \`${[params.command, ...params.args].join(' ')}\``;
  const transport = new StdioClientTransport({ ...params, stderr: 'pipe' });
  let text = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-2000);
  });
  const child = watchChild(transport);
  const client = await newClient({ ...target, protocol }, io, asks, where, timeoutMs);
  try {
    await client.connect(transport, { timeout: timeoutMs, signal: io.signal });
    return { client, child, stderr: () => text };
  } catch (error) {
    await client.close().catch(() => undefined);
    // The SDK's close waits for the server to leave after stdin ends; a server that never
    // answered may not: it would outlive mcptest with PPID 1.
    await stopProcess(child.process);
    // The server's own last words say most when it exits early: let its stderr drain first.
    // 'end' comes as soon as the child closes stderr; the timer only bounds a child that handed
    // its stderr to a process still running, and is generous for loaded machines.
    const childStderr = transport.stderr as (NodeJS.ReadableStream & { readableEnded?: boolean }) | null;
    if (child.process && childStderr && !childStderr.readableEnded) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2_000);
        childStderr.once('end', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return { client, child, stderr: () => text, error };
  }
}

/**
 * The process `transport` spawns, kept after the transport forgets it. The SDK keeps it in a
 * private field (`_process` in 1.x and 2.x); its `pid` getter goes null as soon as close starts.
 * The probe sibling of `auto` is another transport object and never passes through here.
 */
function watchChild(transport: { start(): Promise<void> }): { process: ChildProcess | null } {
  const seen: { process: ChildProcess | null } = { process: null };
  const start = transport.start.bind(transport);
  transport.start = async () => {
    try {
      await start();
    } finally {
      seen.process = (transport as unknown as { _process?: ChildProcess })._process ?? null;
    }
  };
  return seen;
}

/** True once `child` has exited, within `ms`. */
function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** SIGTERM, a second to leave, then SIGKILL: no spawned server outlives its connection. */
async function stopProcess(child: ChildProcess | null): Promise<void> {
  if (!child || (await exited(child, 0))) return;
  child.kill('SIGTERM');
  if (await exited(child, 1_000)) return;
  child.kill('SIGKILL');
  await exited(child, 1_000);
}
