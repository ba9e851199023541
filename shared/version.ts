import { readFileSync } from 'node:fs';

// Read as a file, not through require(): every CLI process loads this, `auth token` included.
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The package version, shown by `--version` and the daemon's health route. */
export const VERSION: string = pkg.version;

/** The IPC contract version. Bump it whenever a /v1 request or response changes incompatibly. */
// 2: the health route answers a challenge (shared/daemon-identity.ts); clients refuse daemons that cannot.
export const IPC_API_VERSION = 2;

/** `<version> ipc/<api>`: what a client and the daemon compare in the one-round-trip token request. */
export function versionTag(): string {
  return `${VERSION} ipc/${IPC_API_VERSION}`;
}
