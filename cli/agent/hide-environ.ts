/**
 * Under `--allow-env`, the variables the verbs may not read must not be one file away either: a
 * stdio server an agent names (`command`) runs as the same user and can read
 * `/proc/<its parent>/environ`, the environment this process started with. On Linux that text
 * lives in this process's own memory, so it is overwritten with zeros (through
 * `/proc/self/mem`) and the variables the verbs may see are set again, in fresh memory. What
 * remains readable to such a program is listed in docs/agents.md (the agent host's own
 * environment above this process, and this process's memory where ptrace is allowed).
 */
import fs from 'node:fs';

/**
 * Empties the environment block of /proc/self/environ, then sets `keep` again. Returns null
 * when done, else why not (not Linux, no env_start/env_end, /proc/self/mem not writable).
 */
export function hideStartEnvironment(keep: NodeJS.ProcessEnv): string | null {
  if (process.platform !== 'linux') return `not on Linux (${process.platform})`;
  let fd: number | null = null;
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3; env_start and
    // env_end are fields 50 and 51 (proc(5)).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[50 - 3]);
    const end = Number(fields[51 - 3]);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start <= 0 || end <= start) {
      return 'no environment block in /proc/self/stat';
    }
    if (end - start > 16 * 1024 * 1024) return 'an environment block over 16 MB';
    fd = fs.openSync('/proc/self/mem', 'r+');
    fs.writeSync(fd, Buffer.alloc(end - start), 0, end - start, start);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
  // The C environment now holds empty strings; process.env reads it, so set again what stays.
  for (const name of Object.keys(process.env)) delete process.env[name];
  for (const [name, value] of Object.entries(keep)) if (value !== undefined) process.env[name] = value;
  return null;
}
