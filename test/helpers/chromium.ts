/**
 * Opens a file in headless Chromium (Debian's `chromium`, installed by `.ci/run`) the way the
 * HTML report tests need: the DOM after the page's scripts ran (`--dump-dom`), a screenshot
 * (`--screenshot`), and what the page wrote to its console (every `console.*` call, uncaught
 * exception and Content-Security-Policy violation is a `CONSOLE` line of `--enable-logging`).
 * Flags from the machine notes: no sandbox as root, no background networking on a closed network,
 * a fresh profile per start.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export interface BrowserView {
  /** The serialized DOM after load (empty when only a screenshot was asked for). */
  dom: string;
  /** The page's console messages, one per line of Chromium's log. */
  console: string[];
  stderr: string;
}

const FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-logging=stderr',
  '--v=0',
];

/** Loads `file` once (with `hash`, a URL fragment: `#failed`); `screenshot` writes a PNG of `size` there instead of dumping the DOM. */
export async function openInChromium(
  file: string,
  opts: { screenshot?: string; size?: [number, number]; timeoutMs?: number; hash?: string } = {},
): Promise<BrowserView> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does), or set CHROMIUM`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-chromium-'));
  const [w, h] = opts.size ?? [1200, 1600];
  const args = [
    ...FLAGS,
    `--user-data-dir=${profile}`,
    `--window-size=${w},${h}`,
    ...(opts.screenshot ? [`--screenshot=${opts.screenshot}`, '--hide-scrollbars'] : ['--dump-dom']),
    pathToFileURL(file).href + (opts.hash ?? ''),
  ];
  try {
    return await new Promise<BrowserView>((resolve, reject) => {
      const child = spawn(CHROMIUM, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let dom = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => {
        dom += c.toString('utf8');
      });
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString('utf8');
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`chromium did not finish within ${opts.timeoutMs ?? 120_000} ms:\n${stderr}`));
      }, opts.timeoutMs ?? 120_000);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code !== 0) reject(new Error(`chromium exited with ${code}:\n${stderr}`));
        else resolve({ dom, console: stderr.split('\n').filter((l) => l.includes(':CONSOLE')), stderr });
      });
    });
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/** The width and height of a PNG, from its IHDR chunk; throws when `bytes` is no PNG. */
export function pngSize(bytes: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (
    bytes.length < 24 ||
    !bytes.subarray(0, 8).equals(signature) ||
    bytes.toString('latin1', 12, 16) !== 'IHDR'
  )
    throw new Error('not a PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}
