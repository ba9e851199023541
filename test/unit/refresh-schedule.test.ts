/**
 * The refresh schedule (daemon/tokens/refresh-schedule.ts) on the fake clock: when a token is
 * refreshed ahead of its expiry, that one timer per credential exists, that a due timer calls
 * back once with its credential, and that a closed schedule arms nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CredentialRow } from '../../daemon/store/token-store.js';
import { MIN_REFRESH_GAP_MS, RefreshSchedule, refreshDelay } from '../../daemon/tokens/refresh-schedule.js';
import { FakeClock } from '../helpers/fake-clock.js';

const HOUR = 3_600_000;

function row(key: string, updatedAt: number, lifeMs: number | null): CredentialRow {
  return {
    key,
    serverUrl: `https://${key}.example/mcp`,
    updatedAt,
    expiresAt: lifeMs === null ? null : updatedAt + lifeMs,
  } as CredentialRow;
}

function scheduleOn(clock: FakeClock, random = 0) {
  const due: Array<{ key: string; serverUrl: string; at: number }> = [];
  const schedule = new RefreshSchedule({
    clock,
    random: () => random,
    onDue: (key, serverUrl) => due.push({ key, serverUrl, at: clock.now() }),
  });
  return { schedule, due };
}

test('an hour-long token is refreshed five minutes (the largest margin) before it expires, minus up to a fifth of that as jitter', () => {
  const now = 1_000_000;
  const r = row('a', now, HOUR);
  assert.equal(refreshDelay(r, now, 0), HOUR - 300_000);
  assert.equal(refreshDelay(r, now, 1), HOUR - 300_000 - 60_000);
});

test('a ten-minute token is refreshed a tenth of its life ahead, and never less than 30 s ahead', () => {
  const now = 1_000_000;
  assert.equal(refreshDelay(row('a', now, 20 * 60_000), now, 0), 20 * 60_000 - 120_000);
  assert.equal(refreshDelay(row('b', now, 2 * 60_000), now, 0), 2 * 60_000 - 30_000);
});

test('a token without expiry is not scheduled; one living a second is not refreshed again within the gap', () => {
  const now = 1_000_000;
  assert.equal(refreshDelay(row('a', now, null), now, 0), null);
  assert.equal(refreshDelay(row('b', now, 1_000), now, 0), MIN_REFRESH_GAP_MS);
  assert.equal(refreshDelay(row('c', now, 500), now, 0), MIN_REFRESH_GAP_MS);
  // Past its refresh time already: due at once, never a negative delay.
  assert.equal(refreshDelay(row('d', now - HOUR, HOUR), now, 0), 0);
});

test('a scheduled credential fires once, at its refresh time, with its key and server URL', () => {
  const clock = new FakeClock(5_000_000);
  const { schedule, due } = scheduleOn(clock);
  const r = row('a', clock.now(), HOUR);
  schedule.schedule(r, true);
  const at = clock.now() + HOUR - 300_000;
  assert.equal(schedule.nextAt('a'), at);
  assert.deepEqual(clock.pending(), [at]);
  clock.advance(HOUR - 300_001);
  assert.equal(due.length, 0, 'not before its time');
  clock.advance(1);
  assert.deepEqual(due, [{ key: 'a', serverUrl: r.serverUrl, at }]);
  assert.equal(schedule.nextAt('a'), null, 'a fired timer is gone');
  assert.deepEqual([...schedule.keys()], []);
  clock.advance(10 * HOUR);
  assert.equal(due.length, 1, 'fires once');
});

test('scheduling again replaces the timer; a credential that cannot be refreshed has none', () => {
  const clock = new FakeClock(5_000_000);
  const { schedule, due } = scheduleOn(clock);
  schedule.schedule(row('a', clock.now(), HOUR), true);
  clock.advance(10 * 60_000);
  schedule.schedule(row('a', clock.now(), HOUR), true);
  assert.equal(clock.pending().length, 1, 'one timer per credential');
  assert.equal(schedule.nextAt('a'), clock.now() + HOUR - 300_000);
  schedule.schedule(row('a', clock.now(), HOUR), false);
  assert.equal(schedule.nextAt('a'), null);
  assert.deepEqual(clock.pending(), []);
  schedule.schedule(row('b', clock.now(), null), true);
  assert.equal(schedule.nextAt('b'), null, 'no expiry: nothing to schedule');
  clock.advance(10 * HOUR);
  assert.equal(due.length, 0);
});

test('armed() lists the timers soonest first, retries included; a timer overdue after a sleep fires late, once', () => {
  const clock = new FakeClock(5_000_000);
  const { schedule, due } = scheduleOn(clock);
  const now = clock.now();
  schedule.schedule(row('late', now, 2 * HOUR), true);
  schedule.schedule(row('soon', now, HOUR), true);
  schedule.arm('retry', 'https://retry.example/mcp', now + 2_000);
  assert.deepEqual(
    schedule.armed().map((t) => t.key),
    ['retry', 'soon', 'late'],
  );
  clock.jump(3 * HOUR);
  assert.equal(due.length, 0, 'nothing fires while the machine sleeps');
  clock.fireDue();
  assert.deepEqual(
    due.map((d) => d.key),
    ['retry', 'soon', 'late'],
  );
});

test('close() cancels every timer and nothing is armed afterwards', () => {
  const clock = new FakeClock(5_000_000);
  const { schedule, due } = scheduleOn(clock);
  schedule.schedule(row('a', clock.now(), HOUR), true);
  schedule.arm('b', 'https://b.example/mcp', clock.now() + 1_000);
  schedule.close();
  assert.deepEqual(clock.pending(), []);
  schedule.schedule(row('c', clock.now(), HOUR), true);
  schedule.arm('d', 'https://d.example/mcp', clock.now() + 1_000);
  assert.deepEqual(schedule.armed(), []);
  clock.advance(10 * HOUR);
  assert.equal(due.length, 0);
});
