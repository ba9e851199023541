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

test('secrets are blanked at any depth, the caller keeps its object, errors keep their type and code', () => {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => lines.push(line) },
  });
  const fields = {
    upstream: { answer: { body: { access_token: 'at-deep', nested: [{ refresh_token: 'rt-deep' }] } } },
    headers: { authorization: 'Bearer at-header' },
    query: { code: 'ac-q', state: 'kept' },
  };
  logger.debug(fields, 'deep');
  assert.equal(fields.upstream.answer.body.access_token, 'at-deep', 'the caller object is not changed');
  const err = Object.assign(new TypeError('boom'), { code: 'E_BOOM' });
  logger.error({ err }, 'failed');
  const circular: Record<string, unknown> = { name: 'loop' };
  circular.self = circular;
  logger.info({ circular, big: 10n }, 'odd values');
  logger.info('message only');
  logger.trace({ accessToken: 'at-trace' }, 'below the level');
  assert.equal(lines.length, 4);
  const parsed = lines.map((l) => JSON.parse(l));
  for (const line of parsed) {
    assert.equal(typeof line.time, 'number');
    assert.equal(line.pid, process.pid);
  }
  const text = lines.join('');
  for (const secret of ['at-deep', 'rt-deep', 'at-header', 'ac-q', 'at-trace']) {
    assert.ok(!text.includes(secret), `${secret} reached the log`);
  }
  assert.equal(parsed[0].level, 20);
  assert.equal(parsed[0].query.state, 'kept');
  assert.deepEqual(
    {
      type: parsed[1].err.type,
      message: parsed[1].err.message,
      code: parsed[1].err.code,
      level: parsed[1].level,
    },
    { type: 'TypeError', message: 'boom', code: 'E_BOOM', level: 50 },
  );
  assert.match(parsed[1].err.stack, /TypeError: boom/);
  assert.equal(parsed[2].circular.self, '[Circular]');
  assert.equal(parsed[2].big, '10');
  assert.deepEqual(parsed[3], { level: 30, time: parsed[3].time, pid: process.pid, msg: 'message only' });
});
