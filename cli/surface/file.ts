/**
 * Surface snapshot files on disk: read back (checked by format.ts) and written atomically (a
 * temporary file renamed over the old one, so a reader or a parallel test never sees half a
 * file). Used by `mcptest snapshot`, `mcptest diff` and the runner's `snapshot:` tests.
 */
import fs from 'node:fs';
import path from 'node:path';
import { McptestError } from '../../shared/errors.js';
import { parseSurface, type Surface, surfaceText } from './format.js';

/** The surface in `file` (relative to `cwd`); null when there is no such file and `missingOk`. */
export function readSurfaceFile(file: string, cwd: string, missingOk: true): Surface | null;
export function readSurfaceFile(file: string, cwd: string, missingOk?: false): Surface;
export function readSurfaceFile(file: string, cwd: string, missingOk = false): Surface | null {
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(cwd, file), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && missingOk) return null;
    throw new McptestError(
      'invalid_request',
      `cannot read the surface snapshot ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message)}`,
      { hint: `mcptest snapshot --url URL -o ${file}` },
    );
  }
  return parseSurface(text, file);
}

/**
 * Writes `surface` to `file` unless it already holds exactly that text; says which happened.
 * The folder is created when missing.
 */
export function writeSurfaceFile(
  surface: Surface,
  file: string,
  cwd: string,
): 'written' | 'updated' | 'unchanged' {
  const target = path.resolve(cwd, file);
  const text = surfaceText(surface);
  let before: string | null = null;
  try {
    before = fs.readFileSync(target, 'utf8');
  } catch {
    before = null;
  }
  if (before === text) return 'unchanged';
  const tmp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new McptestError(
      'invalid_request',
      `cannot write the surface snapshot ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { hint: 'mcptest snapshot --url URL -o ./surface.json' },
    );
  }
  return before === null ? 'written' : 'updated';
}
