/**
 * The places a login sends a human to sign in come from the authorization server: a device
 * login's `verification_uri` (and `verification_uri_complete`), a browser login's authorization
 * URL built on its `authorization_endpoint`. mcptest offers one only when it is https, or plain
 * http on loopback: never `javascript:`, `file:`, `data:` or http across the network. The daemon
 * refuses such a login too; this is the CLI's and the agent server's own check, so a daemon that
 * lets one through still never gets it shown or opened.
 * @see RFC 8628 §3.2 (verification_uri), §5.4 (remote phishing)
 */
import { McptestError } from '../../shared/errors.js';
import type { LoginInfo } from '../../shared/ipc-schemas.js';
import { isLoopbackHost } from '../../shared/server-url.js';

function isSafeSignInUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/**
 * A login the daemon handed back, checked before anything of it is shown: `cancel` (the
 * daemon's cancel of this login) is called when it is refused, so nothing keeps polling for a
 * login no human was told about.
 */
export async function checkedLogin(
  info: LoginInfo,
  cancel: (id: string) => Promise<unknown>,
): Promise<LoginInfo> {
  try {
    return checkSignInUrls(info);
  } catch (err) {
    if (info.status === 'pending') await cancel(info.id).catch(() => undefined);
    throw err;
  }
}

/**
 * The login unchanged when every sign-in URL it carries is https (or loopback http); otherwise an
 * `idp_error` quoting the offending value (JSON-quoted, so its control characters show as escapes).
 */
export function checkSignInUrls(info: LoginInfo): LoginInfo {
  const fields: Array<[string, string | undefined]> = [
    ['verification_uri', info.verificationUri],
    ['verification_uri_complete', info.verificationUriComplete],
    ['authorization URL', info.authorizationUrl],
  ];
  for (const [field, value] of fields) {
    if (value === undefined || isSafeSignInUrl(value)) continue;
    throw new McptestError(
      'idp_error',
      `the authorization server for ${info.serverUrl} gave a ${field} that is not https: ${JSON.stringify(value)}; mcptest does not offer it as the place to sign in`,
      {
        hint: 'the authorization server must serve its sign-in page over https (http only on loopback): tell its operator',
        details: { loginId: info.id, field },
      },
    );
  }
  return info;
}
