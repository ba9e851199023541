/**
 * The IPC schemas (zod) and their parser, for the routes that read or check a body with them:
 * loaded on the first such request, so a daemon that only hands out tokens never loads zod.
 */
export async function schemas() {
  const [ipc, { parseWith }] = await Promise.all([
    import('../../shared/ipc-schemas.js'),
    import('../../shared/validate.js'),
  ]);
  return { ...ipc, parseWith };
}
