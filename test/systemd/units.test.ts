/**
 * `mcptest daemon install|uninstall` and the rendered systemd user units, checked by the real
 * `systemd-analyze verify` (system and --user mode) and by the real CLI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isolatedEnv, runCli } from '../helpers/cli.js';

/** The ESM entry the unit starts the daemon with (the `mcptest` command is bin.cjs). */
const DAEMON_ENTRY = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

type Env = ReturnType<typeof isolatedEnv>;
let env: Env;
let runtimeDir: string;

before(() => {
  env = isolatedEnv();
  runtimeDir = path.join(env.HOME as string, 'xdg-run');
  fs.mkdirSync(runtimeDir, { mode: 0o700 });
  // The systemd view of the world: XDG_RUNTIME_DIR set, no MCPTEST_SOCKET override.
  env.XDG_RUNTIME_DIR = runtimeDir;
  delete env.MCPTEST_SOCKET;
});
after(async () => {
  await env.cleanup();
});

/** The isolated env without its cleanup function, to spread into variants. */
function vars(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { cleanup: _c, ...plain } = env;
  return { ...plain, ...extra };
}

const unitDir = () => path.join(env.HOME as string, '.config', 'systemd', 'user');

function section(unit: string, name: string): string[] {
  const start = unit.indexOf(`[${name}]`);
  assert.ok(start >= 0, `section [${name}] present`);
  const rest = unit.slice(start + name.length + 2);
  const end = rest.search(/^\[/m);
  return (end < 0 ? rest : rest.slice(0, end))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

test('install --print renders both units for this installation without writing them', async () => {
  const r = await runCli(['daemon', 'install', '--print'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!fs.existsSync(unitDir()), 'nothing written');
  const [, socketPart, servicePart] = r.stdout.split(/^# (?=\/)/m);
  assert.ok(socketPart.startsWith(path.join(unitDir(), 'mcptest-authd.socket')));
  assert.ok(servicePart.startsWith(path.join(unitDir(), 'mcptest-authd.service')));

  const socket = section(socketPart, 'Socket');
  assert.ok(socket.includes('ListenStream=%t/mcptest/authd.sock'));
  assert.ok(socket.includes('SocketMode=0600'));
  assert.ok(socket.includes('DirectoryMode=0700'));
  assert.ok(socket.includes('Accept=no'));

  const service = section(servicePart, 'Service');
  assert.ok(
    service.includes(`ExecStart=${process.execPath} --max-semi-space-size=1 ${DAEMON_ENTRY} daemon run`),
    service.join('\n'),
  );
  assert.ok(service.includes('Environment=MCPTEST_MANAGED_BY=systemd'));
  // isolatedEnv sets MCPTEST_HOME, so the service must get it too, and both store and log folder
  // (here $MCPTEST_HOME/log, inside the home) must be writable.
  assert.ok(service.includes(`Environment="MCPTEST_HOME=${env.MCPTEST_HOME}"`), service.join('\n'));
  assert.ok(service.includes('ReadWritePaths=-%h'), service.join('\n'));
  for (const line of [
    'Restart=on-failure',
    'UMask=0077',
    'NoNewPrivileges=yes',
    'PrivateTmp=yes',
    'ProtectSystem=strict',
    'ProtectHome=read-only',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
    'LockPersonality=yes',
    'RestrictRealtime=yes',
    'SystemCallArchitectures=native',
  ]) {
    assert.ok(service.includes(line), `service has ${line}`);
  }
  assert.doesNotMatch(servicePart, /^MemoryDenyWriteExecute=/m, 'V8 needs W+X memory');
});

test('with the default home, the log folder under ~/.local/state is writable too', async () => {
  const { MCPTEST_HOME: _h, ...plain } = vars();
  const r = await runCli(['daemon', 'install', '--print'], { env: plain });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ReadWritePaths=-%h\/\.mcptest -%h\/\.local\/state\/mcptest$/m);
  assert.doesNotMatch(r.stdout, /^Environment=.*MCPTEST_HOME/m);
});

test('systemd-analyze verify accepts the rendered units, in system and in --user mode', async () => {
  const dir = fs.mkdtempSync(path.join(env.HOME as string, 'verify-'));
  const r = await runCli(['daemon', 'install', '--json'], { env: vars({ XDG_CONFIG_HOME: dir }) });
  assert.equal(r.code, 0, r.stderr);
  const written: string[] = JSON.parse(r.stdout).written;
  assert.equal(written.length, 2);
  for (const args of [
    ['verify', '--man=no', ...written],
    ['--user', 'verify', '--man=no', ...written],
  ]) {
    const v = spawnSync('systemd-analyze', args, {
      encoding: 'utf8',
      env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir },
    });
    assert.equal(v.status, 0, `systemd-analyze ${args.join(' ')}: ${v.stderr}`);
    // verify exits 0 on unknown keys and bad values too; they show as lines on stderr.
    assert.equal(v.stderr.trim(), '', `no warnings from systemd-analyze ${args[0]}`);
  }
  // The check is real: a unit with a typo and a missing binary is reported.
  const broken = path.join(dir, 'systemd', 'user', 'mcptest-authd.service');
  fs.writeFileSync(
    broken,
    fs
      .readFileSync(broken, 'utf8')
      .replace('Restart=on-failure', 'Restart=sometimes')
      .replace(process.execPath, '/nonexistent/node'),
  );
  const bad = spawnSync('systemd-analyze', ['verify', '--man=no', ...written], { encoding: 'utf8' });
  assert.match(bad.stderr, /restart specifier/);
  assert.match(bad.stderr, /nonexistent\/node/);
});

test('install writes the units and prints the enable line; uninstall removes them and the enable links', async () => {
  const inst = await runCli(['daemon', 'install'], { env });
  assert.equal(inst.code, 0, inst.stderr);
  assert.equal(
    inst.stdout.trim(),
    'systemctl --user daemon-reload && systemctl --user enable --now mcptest-authd.socket',
  );
  assert.match(inst.stderr, /wrote .*mcptest-authd\.socket/);
  for (const name of ['mcptest-authd.socket', 'mcptest-authd.service']) {
    const st = fs.statSync(path.join(unitDir(), name));
    assert.equal(st.mode & 0o777, 0o644);
  }
  const again = await runCli(['daemon', 'install'], { env });
  assert.match(again.stderr, /unchanged .*mcptest-authd\.service/);

  // What `systemctl --user enable` would have made.
  const wants = path.join(unitDir(), 'sockets.target.wants');
  fs.mkdirSync(wants);
  fs.symlinkSync(path.join(unitDir(), 'mcptest-authd.socket'), path.join(wants, 'mcptest-authd.socket'));

  const un = await runCli(['daemon', 'uninstall'], { env });
  assert.equal(un.code, 0, un.stderr);
  assert.ok(
    un.stderr.indexOf('systemctl --user disable --now mcptest-authd.socket mcptest-authd.service') <
      un.stderr.indexOf('removed'),
    'the stop line comes first',
  );
  assert.equal(un.stdout.trim(), 'systemctl --user daemon-reload');
  assert.deepEqual(fs.readdirSync(unitDir()), ['sockets.target.wants']);
  assert.deepEqual(fs.readdirSync(wants), []);

  const none = await runCli(['daemon', 'uninstall'], { env });
  assert.equal(none.code, 0);
  assert.match(none.stderr, /no mcptest units installed/);
});

test('with the units installed and the socket not listening, clients give the systemctl hint and spawn nothing', async () => {
  const inst = await runCli(['daemon', 'install'], { env });
  assert.equal(inst.code, 0, inst.stderr);
  try {
    const r = await runCli(['daemon', 'start'], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no auth daemon answers at .*xdg-run\/mcptest\/authd\.sock/);
    assert.match(r.stderr, /hint: systemctl --user start mcptest-authd\.socket/);
    assert.ok(!fs.existsSync(path.join(runtimeDir, 'mcptest', 'authd.sock')), 'no daemon was spawned');

    const status = await runCli(['daemon', 'status'], { env });
    assert.equal(status.code, 1);
    assert.match(status.stdout, /systemd manages it/);

    // Another socket (MCPTEST_SOCKET) is not systemd's: that client starts its own daemon.
    const own = await runCli(['daemon', 'start', '--json'], {
      env: vars({ MCPTEST_SOCKET: path.join(env.HOME as string, 'own.sock') }),
    });
    assert.equal(own.code, 0, own.stderr);
    assert.equal(JSON.parse(own.stdout).managedBy, 'self');
    await runCli(['daemon', 'stop'], {
      env: vars({ MCPTEST_SOCKET: path.join(env.HOME as string, 'own.sock') }),
    });
  } finally {
    await runCli(['daemon', 'uninstall'], { env });
  }
});

test('daemon install, uninstall and status teach with --help', async () => {
  for (const verb of ['install', 'uninstall', 'status', 'logs']) {
    const r = await runCli(['daemon', verb, '--help'], { env });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Examples?:\n {2}\$ /, `${verb} --help has an example`);
  }
});
