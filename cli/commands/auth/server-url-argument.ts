import { McptestError } from '../../../shared/errors.js';

/**
 * The server URL given as the argument (as `login URL` takes it) or with `--url`, which still
 * works; both at once must agree. `fallback` is used when neither is given (an environment
 * variable a host sets); without one, a URL is required.
 */
export function serverUrlArgument(
  verb: string,
  positional: string | undefined,
  flag: string | undefined,
  fallback?: string,
): string {
  if (positional !== undefined && flag !== undefined && positional !== flag) {
    throw new McptestError(
      'invalid_request',
      `${verb} got two server URLs: ${positional} and --url ${flag}`,
      {
        hint: `mcptest ${verb} ${positional}`,
      },
    );
  }
  const url = positional ?? flag ?? (fallback === '' ? undefined : fallback);
  if (url === undefined) {
    throw new McptestError('invalid_request', `${verb} needs the server URL`, {
      hint: `mcptest ${verb} https://mcp.example.com/mcp`,
    });
  }
  return url;
}
