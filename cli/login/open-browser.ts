import { spawn } from 'node:child_process';

/**
 * Opens a URL in the user's browser: `$BROWSER URL`, else `open` (macOS) or `xdg-open`. Resolves
 * false when no opener could be started (a headless box); the caller then prints the URL.
 */
export function openBrowser(url: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const command = env.BROWSER?.trim() || (process.platform === 'darwin' ? 'open' : 'xdg-open');
  return new Promise((resolve) => {
    try {
      const child = spawn(command, [url], { detached: true, stdio: 'ignore', env });
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
      child.once('error', () => resolve(false));
    } catch {
      resolve(false);
    }
  });
}
