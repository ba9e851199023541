/**
 * How much the daemon loads before it answers, and how soon it answers:
 * `node dist/bench/daemon-start.js [--runs N]`.
 *
 * 1. Modules: runs `mcptest daemon run` under `test/helpers/module-log-preload.ts`, which logs every module
 *    the ESM loader loads and the CommonJS ones in `require.cache`; counts the files loaded
 *    before the socket listened, and again after a health request and a token request for a
 *    cached (imported) token, and names the daemon's own modules that were loaded.
 * 2. Time: spawns `mcptest daemon run --json-errors` (as a client spawns it; no preload) and
 *    polls `GET /v1/health` on its socket every 2 ms until it answers; the median and minimum of
 *    N runs, and the CPU time the daemon had used by then (`/proc/<pid>/stat`; less at the mercy
 *    of a loaded machine than wall time). The same to the first answered `POST /v1/token` on a
 *    store holding a cached login. Then `mcptest daemon start` (the CLI path a user waits for: a
 *    CLI process that spawns the daemon and waits) N times.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAEMON_NODE_FLAGS } from '../client/daemon-env.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 10;
const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const PRELOAD = fileURLToPath(new URL('../test/helpers/module-log-preload.js', import.meta.url));
const DIST = path.dirname(path.dirname(CLI));

function freshHome(): { home: string; env: NodeJS.ProcessEnv; socket: string } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-start-'));
  const socket = path.join(home, 'run', 'authd.sock');
  return { home, socket, env: { ...process.env, MCPTEST_HOME: home, MCPTEST_SOCKET: socket } };
}

function ipc(socket: string, method: string, url: string, body?: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        socketPath: socket,
        method,
        path: url,
        headers: data
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }
          : {},
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

async function firstHealth(socket: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}`);
    try {
      if ((await ipc(socket, 'GET', '/v1/health')) === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 2));
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Distinct module files in a log segment, split into mcptest's own and its dependencies'. */
function count(lines: string[]): { total: number; own: number; deps: number; daemon: string[] } {
  const files = new Set<string>();
  for (const line of lines) {
    const [, , ref] = line.split(' ');
    const p = line.startsWith('cjs ') ? line.slice(4) : ref?.startsWith('file:') ? fileURLToPath(ref) : null;
    if (p) files.add(p);
  }
  const all = [...files];
  const own = all.filter((f) => f.startsWith(`${DIST}${path.sep}`));
  const daemon = own
    .filter((f) => f.startsWith(path.join(DIST, 'daemon')))
    .map((f) => path.relative(DIST, f))
    .sort();
  return { total: all.length, own: own.length, deps: all.length - own.length, daemon };
}

async function modules(): Promise<void> {
  const { env, socket } = freshHome();
  const log = path.join(os.tmpdir(), `mt-modules-${process.pid}.log`);
  fs.rmSync(log, { force: true });
  const child = spawn(process.execPath, ['--import', PRELOAD, CLI, 'daemon', 'run', '--idle-exit', '0'], {
    env: { ...env, MCPTEST_MODULE_LOG: log },
    stdio: 'ignore',
  });
  await firstHealth(socket, child);
  const serverUrl = 'https://mcp.example.test/mcp';
  const imported = await ipc(socket, 'PUT', '/v1/credentials', {
    serverUrl,
    accessToken: 'bench-cached-token',
    expiresIn: 3600,
  });
  const token = await ipc(socket, 'POST', '/v1/token', { serverUrl });
  await new Promise((r) => setTimeout(r, 200));
  await stop(child);
  const lines = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const marker = lines.indexOf('listening');
  const before = count(lines.slice(0, marker));
  // ESM lines after the marker are what health, the import and the token request loaded.
  const after = count(lines);
  console.log(
    `modules loaded before listening: ${before.total} (mcptest ${before.own}, dependencies ${before.deps})`,
  );
  console.log(`  daemon modules: ${before.daemon.join(' ')}`);
  console.log(
    `modules after health, credential import (HTTP ${imported}) and cached token (HTTP ${token}): ${after.total} (mcptest ${after.own}, dependencies ${after.deps})`,
  );
  const late = after.daemon.filter((f) => !before.daemon.includes(f));
  console.log(`  daemon modules loaded after listening: ${late.join(' ') || 'none'}`);
  fs.rmSync(log, { force: true });
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** CPU time (user + system) a process has used so far, in ms. */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** The daemon as a client spawns it (client/ensure-daemon.ts), never idling out. */
function spawnDaemon(env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [...DAEMON_NODE_FLAGS, CLI, 'daemon', 'run', '--json-errors'], {
    env: { ...env, MCPTEST_DAEMON_IDLE_SECONDS: '0' },
    stdio: 'ignore',
  });
}

async function spawnToHealth(): Promise<{ wall: number[]; cpu: number[] }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { env, socket } = freshHome();
    const start = performance.now();
    const child = spawnDaemon(env);
    await firstHealth(socket, child);
    wall.push(performance.now() - start);
    cpu.push(cpuMs(child.pid as number));
    await stop(child);
  }
  return { wall, cpu };
}

/**
 * Spawn to the first answered token request, on a store that holds a cached login: what a CLI
 * process that finds no daemon waits for. The home is seeded once by a first daemon.
 */
async function spawnToToken(): Promise<{ wall: number[]; cpu: number[] }> {
  const { env, socket } = freshHome();
  const serverUrl = 'https://mcp.example.test/mcp';
  const seeder = spawnDaemon(env);
  await firstHealth(socket, seeder);
  const put = await ipc(socket, 'PUT', '/v1/credentials', {
    serverUrl,
    accessToken: 'bench-cached-token',
    expiresIn: 86_400,
  });
  if (put !== 200) throw new Error(`seeding the store answered HTTP ${put}`);
  await stop(seeder);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const child = spawnDaemon(env);
    for (;;) {
      if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}`);
      const status = await ipc(socket, 'POST', '/v1/token', { serverUrl }).catch(() => 0);
      if (status === 200) break;
      if (status !== 0) throw new Error(`token request answered HTTP ${status}`);
      await new Promise((r) => setTimeout(r, 2));
    }
    wall.push(performance.now() - start);
    cpu.push(cpuMs(child.pid as number));
    await stop(child);
  }
  return { wall, cpu };
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

async function daemonStart(): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { env } = freshHome();
    const start = performance.now();
    const code = await run(['daemon', 'start', '--json'], env);
    times.push(performance.now() - start);
    if (code !== 0) throw new Error(`mcptest daemon start exited with ${code}`);
    await run(['daemon', 'stop'], env);
  }
  return times;
}

await modules();
const spawned = await spawnToHealth();
console.log(
  `spawn of mcptest daemon run to first health answer, ${RUNS} runs: median ${median(spawned.wall).toFixed(0)} ms, min ${Math.min(...spawned.wall).toFixed(0)} ms`,
);
console.log(
  `  the daemon's CPU time (user + system) to its first health answer: median ${median(spawned.cpu).toFixed(0)} ms, min ${Math.min(...spawned.cpu).toFixed(0)} ms`,
);
const tokened = await spawnToToken();
console.log(
  `spawn of mcptest daemon run to first token answer (cached login), ${RUNS} runs: median ${median(tokened.wall).toFixed(0)} ms, min ${Math.min(...tokened.wall).toFixed(0)} ms`,
);
console.log(
  `  the daemon's CPU time (user + system) to its first token answer: median ${median(tokened.cpu).toFixed(0)} ms, min ${Math.min(...tokened.cpu).toFixed(0)} ms`,
);
const started = await daemonStart();
console.log(
  `mcptest daemon start wall time, ${RUNS} runs: median ${median(started).toFixed(0)} ms, min ${Math.min(...started).toFixed(0)} ms`,
);
