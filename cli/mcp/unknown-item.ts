/**
 * What a failed prompts/get or resources/read most likely means: a name the server does not
 * have. Shared by `mcptest get-prompt`/`read` and the agent's `get_prompt`/`read_resource`.
 */
import { McptestError } from '../../shared/errors.js';
import type { McpConnection } from './connect.js';
import { listAllPrompts, listAllResources } from './list-tools.js';
import { targetFlags } from './target-flags.js';

/**
 * After a failed prompts/get: when `name` is not among the server's prompts, the server's own
 * error as `not_found`, naming the prompts it has, with the command listing them.
 */
export async function unknownPrompt(
  conn: McpConnection,
  name: string,
  explained: McptestError,
): Promise<McptestError | null> {
  let names: string[];
  try {
    names = (await listAllPrompts(conn)).map((p) => p.name);
  } catch {
    return null; // cannot tell: keep the server's own error
  }
  if (names.includes(name)) {
    // A prompt it has refused its arguments: show what it takes.
    return /-32602|invalid arguments/i.test(explained.message)
      ? new McptestError(explained.code, explained.message, {
          hint: `see the arguments ${name} takes: mcptest prompts ${targetFlags(conn.target)}`,
        })
      : null;
  }
  const shown = names.length > 12 ? `${names.slice(0, 12).join(', ')}, ...` : names.join(', ');
  return new McptestError(
    'not_found',
    `${explained.message} (the server has no prompt named \`${name}\`; ${names.length ? `it has: ${shown}` : 'it lists none'})`,
    { hint: `mcptest prompts ${targetFlags(conn.target)}` },
  );
}

/**
 * After a failed resources/read: when `uri` is not among the resources the server lists, the
 * server's own error as `not_found`, naming what it does list, with the command listing them.
 */
export async function unknownResource(
  conn: McpConnection,
  uri: string,
  explained: McptestError,
): Promise<McptestError | null> {
  let uris: string[];
  try {
    uris = (await listAllResources(conn)).map((r) => r.uri);
  } catch {
    return null; // cannot tell: keep the server's own error
  }
  if (uris.includes(uri)) return null;
  const shown = uris.length > 12 ? `${uris.slice(0, 12).join(', ')}, ...` : uris.join(', ');
  return new McptestError(
    'not_found',
    `${explained.message} (the server lists no resource ${uri}; ${uris.length ? `it lists: ${shown}` : 'it lists none'})`,
    { hint: `mcptest resources ${targetFlags(conn.target)}` },
  );
}
