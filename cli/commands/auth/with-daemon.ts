import type { DaemonClient } from '../../../client/daemon-client.js';
import type { CliIo } from '../../io.js';

/** Runs `fn` with a client of this user's daemon (started if none answers), closed afterwards. */
export async function withDaemon<T>(io: CliIo, fn: (client: DaemonClient) => Promise<T>): Promise<T> {
  const { ensureDaemon } = await import('../../../client/ensure-daemon.js');
  const client = await ensureDaemon({ env: io.env });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}
