/**
 * A module-resolution hook for the conformance suite's child process: the package's `fs` import
 * gets `fs-globsync.js` beside this file; every other import resolves as usual.
 */
const SHIM = new URL('./fs-globsync.js', import.meta.url).href;

interface ResolveContext {
  parentURL?: string;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<unknown>;

export async function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: NextResolve,
): Promise<unknown> {
  if (
    (specifier === 'fs' || specifier === 'node:fs') &&
    (context.parentURL?.includes('/@modelcontextprotocol/conformance/') ||
      context.parentURL?.includes('/conformance-next/'))
  ) {
    return { url: SHIM, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
