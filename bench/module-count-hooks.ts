/**
 * Module loader hooks for `bench/daemon-start.ts`: every module the ESM loader loads is written
 * (URL and format, one line each, synchronously) to the file named by `data.file`, before the
 * module runs. Registered by `module-count-preload.ts`.
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
