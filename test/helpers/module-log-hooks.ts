/**
 * Module loader hooks: every module the ESM loader loads is written (format and URL, one line
 * each, synchronously) to the file named by `data.file`, before the module runs. Registered by
 * `module-log-preload.ts`; used by test/daemon/lazy-logins.test.ts and bench/daemon-start.ts.
 */
import fs from 'node:fs';

let file = '';

export function initialize(data: { file: string }): void {
  file = data.file;
}

export async function load(
  url: string,
  context: unknown,
  nextLoad: (url: string, context: unknown) => Promise<{ format?: string }>,
): Promise<unknown> {
  const result = await nextLoad(url, context);
  if (!url.startsWith('node:')) fs.appendFileSync(file, `esm ${result.format ?? '?'} ${url}\n`);
  return result;
}
