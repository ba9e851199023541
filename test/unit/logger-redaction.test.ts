import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../../daemon/logger.js';

test('the log keeps error codes and blanks authorization codes, tokens and secrets', () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ destination });
  logger.warn({ error: 'invalid_scope', code: 'invalid_scope', authorizationCode: 'ac-123' }, 'one');
  logger.info({ callback: { code: 'ac-456', state: 's' }, query: { code: 'ac-789' } }, 'two');
  logger.info({ login: { authorizationCode: 'ac-000' }, accessToken: 'at-1', clientSecret: 'cs-1' }, 'three');
  const log = lines.join('');
  assert.match(log, /"error":"invalid_scope"/);
  assert.match(log, /"code":"invalid_scope"/);
  for (const secret of ['ac-123', 'ac-456', 'ac-789', 'ac-000', 'at-1', 'cs-1'])
    assert.ok(!log.includes(secret), `${secret} reached the log`);
});
