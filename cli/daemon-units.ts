/**
 * Renders the systemd user units of the auth daemon (templates in the package's `systemd/`
 * folder) for this installation: the node binary and CLI path that run now, the MCPTEST_HOME
 * and log folder of this environment. Used by `mcptest daemon install|uninstall`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DAEMON_NODE_FLAGS } from '../client/daemon-env.js';
import { SYSTEMD_SOCKET_UNIT, SYSTEMD_UNIT, systemdUserUnitDir } from '../client/ensure-daemon.js';
import { resolvePaths } from '../shared/paths.js';

export { SYSTEMD_SOCKET_UNIT, SYSTEMD_UNIT, systemdUserUnitDir };

/** Where the unit templates ship: `<package>/systemd/`. */
export const TEMPLATE_DIR = fileURLToPath(new URL('../../systemd/', import.meta.url));
const CLI_ENTRY = fileURLToPath(new URL('./main.js', import.meta.url));
const DOCS_PAGE = fileURLToPath(new URL('../../docs/daemon.md', import.meta.url));

/** Environment variables of the installing shell that change where the daemon keeps its files. */
const PASSED_ENV = ['MCPTEST_HOME', 'MCPTEST_LOG_DIR', 'XDG_STATE_HOME', 'MCPTEST_DAEMON_IDLE_SECONDS'];

export const ENABLE_COMMAND = `systemctl --user daemon-reload && systemctl --user enable --now ${SYSTEMD_SOCKET_UNIT}`;
export const STOP_COMMAND = `systemctl --user disable --now ${SYSTEMD_SOCKET_UNIT} ${SYSTEMD_UNIT}`;

export interface RenderedUnit {
  name: string;
  /** Where `install` writes it. */
  path: string;
  content: string;
}

export interface RenderUnitsOptions {
  env: NodeJS.ProcessEnv;
  /** Defaults to the node binary running now. */
  nodePath?: string;
  /** Defaults to this installation's `dist/cli/main.js`. */
  cliPath?: string;
  templateDir?: string;
}

export interface RenderedUnits {
  unitDir: string;
  units: RenderedUnit[];
  /** Folders the service must be able to write (created by install). */
  writablePaths: string[];
  /** Things in this environment that will keep clients from reaching the systemd socket. */
  warnings: string[];
}

/** `%` starts a specifier in unit files; a literal one is written `%%`. */
function escapePercent(text: string): string {
  return text.replace(/%/g, '%%');
}

/** One word of a unit file command line or list, quoted when it holds blanks or quotes. */
function unitWord(text: string): string {
  const escaped = escapePercent(text);
  if (!/[\s"'\\;$]/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '$$$$')}"`;
}

/** A path under the home folder is written with the `%h` specifier, so the unit reads naturally. */
function homeRelative(p: string, home: string): string {
  if (p === home) return '%h';
  if (p.startsWith(`${home}/`)) return `%h/${escapePercent(p.slice(home.length + 1))}`;
  return escapePercent(p);
}

function readWritePath(p: string, home: string): string {
  const word = homeRelative(p, home);
  return /[\s"'\\]/.test(word) ? `"-${word.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : `-${word}`;
}

/** Renders both units for this installation; writes nothing. */
export function renderUnits(options: RenderUnitsOptions): RenderedUnits {
  const env = options.env;
  const templateDir = options.templateDir ?? TEMPLATE_DIR;
  const home = path.resolve(env.HOME || os.homedir());
  const paths = resolvePaths(env);
  const unitDir = systemdUserUnitDir(env);

  const writablePaths = [paths.home];
  if (paths.logDir !== paths.home && !paths.logDir.startsWith(`${paths.home}/`))
    writablePaths.push(paths.logDir);

  const execStart = [
    options.nodePath ?? process.execPath,
    ...DAEMON_NODE_FLAGS,
    options.cliPath ?? CLI_ENTRY,
    'daemon',
    'run',
  ]
    .map(unitWord)
    .join(' ');
  const environment = PASSED_ENV.filter((name) => env[name])
    .map((name) => {
      const value =
        name.endsWith('_HOME') || name.endsWith('_DIR') ? path.resolve(env[name] as string) : env[name];
      return `Environment="${name}=${escapePercent(String(value)).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    })
    .join('\n');
  const values: Record<string, string> = {
    DOCS: escapePercent(pathToFileURL(DOCS_PAGE).href),
    EXEC_START: execStart,
    ENVIRONMENT: environment,
    READ_WRITE_PATHS: writablePaths.map((p) => readWritePath(p, home)).join(' '),
  };

  const units = [SYSTEMD_SOCKET_UNIT, SYSTEMD_UNIT].map((name) => {
    const template = fs.readFileSync(path.join(templateDir, name), 'utf8');
    const content = template
      .replace(/^\{\{([A-Z_]+)\}\}\n/gm, (line, key: string) => (values[key] === '' ? '' : line))
      .replace(/\{\{([A-Z_]+)\}\}/g, (_m, key: string) => {
        if (!(key in values)) throw new Error(`unknown placeholder {{${key}}} in ${name}`);
        return values[key];
      });
    return { name, path: path.join(unitDir, name), content };
  });

  const warnings: string[] = [];
  const systemdSocket = env.XDG_RUNTIME_DIR ? path.join(env.XDG_RUNTIME_DIR, 'mcptest', 'authd.sock') : null;
  if (!systemdSocket) {
    warnings.push(
      'XDG_RUNTIME_DIR is not set in this shell, so mcptest here looks for the daemon at ' +
        `${paths.socketPath}, not at the systemd socket (%t/mcptest/authd.sock); ` +
        'log in through a session that sets it, or: export XDG_RUNTIME_DIR=/run/user/$(id -u)',
    );
  } else if (paths.socketPath !== systemdSocket) {
    warnings.push(
      `MCPTEST_SOCKET points at ${paths.socketPath}, but the systemd socket is ${systemdSocket}; ` +
        'clients reach the systemd daemon only after: unset MCPTEST_SOCKET',
    );
  }
  return { unitDir, units, writablePaths, warnings };
}

export interface InstallOutcome {
  written: string[];
  unchanged: string[];
  /** True when a unit file existed with other content (a running daemon should be restarted). */
  replaced: boolean;
}

/** Writes the rendered units (0644, as systemd expects) and creates the writable folders (0700). */
export function installUnits(rendered: RenderedUnits): InstallOutcome {
  fs.mkdirSync(rendered.unitDir, { recursive: true, mode: 0o755 });
  for (const dir of rendered.writablePaths) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const outcome: InstallOutcome = { written: [], unchanged: [], replaced: false };
  for (const unit of rendered.units) {
    const existing = fs.existsSync(unit.path) ? fs.readFileSync(unit.path, 'utf8') : null;
    if (existing === unit.content) {
      outcome.unchanged.push(unit.path);
      continue;
    }
    if (existing !== null) outcome.replaced = true;
    const tmp = `${unit.path}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, unit.content, { mode: 0o644 });
    fs.renameSync(tmp, unit.path);
    outcome.written.push(unit.path);
  }
  return outcome;
}

/**
 * Removes both unit files and the `*.wants/` links `systemctl enable` made to them (what
 * `systemctl disable` removes), so nothing points at a missing unit. Returns what was removed.
 */
export function uninstallUnits(env: NodeJS.ProcessEnv): string[] {
  const unitDir = systemdUserUnitDir(env);
  const removed: string[] = [];
  const names = new Set([SYSTEMD_SOCKET_UNIT, SYSTEMD_UNIT]);
  let entries: fs.Dirent[] = [];
  try {
    entries = fs.readdirSync(unitDir, { withFileTypes: true });
  } catch {
    return removed; // no unit folder: nothing installed
  }
  for (const entry of entries) {
    if (!entry.isDirectory() || !/\.(wants|requires)$/.test(entry.name)) continue;
    for (const name of names) {
      const link = path.join(unitDir, entry.name, name);
      if (fs.lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) {
        fs.unlinkSync(link);
        removed.push(link);
      }
    }
  }
  for (const name of names) {
    const file = path.join(unitDir, name);
    if (fs.existsSync(file)) {
      fs.unlinkSync(file);
      removed.push(file);
    }
  }
  return removed;
}
