/**
 * The alternative users have today, for comparison: every process locks a JSON token file
 * (proper-lockfile), refreshes the token at the IdP itself when it has expired, writes the file
 * and unlocks. Usage: node lockfile-client.js <tokens.json>; prints the access token.
 */
import fs from 'node:fs';
import lockfile from 'proper-lockfile';

interface TokenFile {
  access_token: string;
  refresh_token: string;
  expires_at: number;
  token_endpoint: string;
  client_id: string;
  resource: string;
}

const file = process.argv[2];
const release = await lockfile.lock(file, {
  retries: { retries: 1000, minTimeout: 5, maxTimeout: 50 },
  stale: 10_000,
});
try {
  const tokens = JSON.parse(fs.readFileSync(file, 'utf8')) as TokenFile;
  if (tokens.expires_at - Date.now() < 10_000) {
    const res = await fetch(tokens.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: tokens.client_id,
        resource: tokens.resource,
      }),
    });
    if (!res.ok) throw new Error(`refresh failed: HTTP ${res.status}`);
    const body = (await res.json()) as { access_token: string; refresh_token?: string; expires_in: number };
    tokens.access_token = body.access_token;
    tokens.refresh_token = body.refresh_token ?? tokens.refresh_token;
    tokens.expires_at = Date.now() + body.expires_in * 1000;
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(tokens), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  }
  process.stdout.write(`${tokens.access_token}\n`);
} finally {
  await release();
}
