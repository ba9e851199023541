// Module-resolution hook: hands the conformance package's `fs` import the shim beside this file.
const SHIM = new URL('./fs-globsync.mjs', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (
    (specifier === 'fs' || specifier === 'node:fs') &&
    (context.parentURL?.includes('/@modelcontextprotocol/conformance/') ||
      context.parentURL?.includes('/conformance-next/'))
  ) {
    return { url: SHIM, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
