/**
 * How much life a token has left (daemon/tokens/token-lifetimes.ts), on the fake clock: by the
 * wall clock, and for a token this process received, by the monotonic clock too, so that a wall
 * clock set back does not make a token look younger than the IdP said it is.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CredentialRow } from '../../daemon/store/token-store.js';
import { TokenLifetimes } from '../../daemon/tokens/token-lifetimes.js';
import { FakeClock } from '../helpers/fake-clock.js';

const HOUR = 3_600_000;

function row(generation: number, receivedAt: number, lifeMs: number | null): CredentialRow {
  return {
    key: 'https://mcp.example/mcp',
    generation,
    updatedAt: receivedAt,
    expiresAt: lifeMs === null ? null : receivedAt + lifeMs,
  } as CredentialRow;
}

test('a token received here ends when its IdP lifetime ends, even with the wall clock set back', () => {
  const clock = new FakeClock(50_000_000);
  const lifetimes = new TokenLifetimes(clock);
  const r = row(1, clock.now(), HOUR);
  lifetimes.note(r, clock.now(), lifetimes.mono());
  clock.jump(HOUR / 2);
  assert.equal(lifetimes.left(r, clock.now()), HOUR / 2);
  clock.setWallBy(-HOUR);
  assert.equal(lifetimes.left(r, clock.now()), HOUR / 2, 'the monotonic deadline wins');
  clock.jump(HOUR / 2);
  assert.equal(lifetimes.left(r, clock.now()), 0);
});

test('the wall clock alone judges tokens not received here, of another generation, or after forget()', () => {
  const clock = new FakeClock(50_000_000);
  const lifetimes = new TokenLifetimes(clock);
  const r = row(1, clock.now(), HOUR);
  lifetimes.note(r, clock.now(), null);
  clock.setWallBy(-HOUR);
  assert.equal(lifetimes.left(r, clock.now()), 2 * HOUR, 'not received here: wall clock only');

  lifetimes.note(r, clock.now() + HOUR, lifetimes.mono());
  clock.setWallBy(-HOUR);
  assert.equal(lifetimes.left(r, clock.now()), HOUR, 'the monotonic deadline of generation 1');
  const next = row(2, r.updatedAt, HOUR);
  assert.equal(lifetimes.left(next, clock.now()), 3 * HOUR, 'another generation: wall clock only');
  lifetimes.forget(r.key);
  assert.equal(lifetimes.left(r, clock.now()), 3 * HOUR);
});

test('a token without expiry has no life to count', () => {
  const clock = new FakeClock();
  const lifetimes = new TokenLifetimes(clock);
  const r = row(1, clock.now(), null);
  lifetimes.note(r, clock.now(), lifetimes.mono());
  assert.equal(lifetimes.left(r, clock.now()), null);
});

test('a clock without a monotonic reading judges by the wall clock alone', () => {
  const fake = new FakeClock(50_000_000);
  const wallOnly = {
    now: () => fake.now(),
    setTimeout: fake.setTimeout.bind(fake),
    clearTimeout: fake.clearTimeout.bind(fake),
  };
  const lifetimes = new TokenLifetimes(wallOnly);
  assert.equal(lifetimes.mono(), null);
  const r = row(1, fake.now(), HOUR);
  lifetimes.note(r, fake.now(), lifetimes.mono());
  fake.setWallBy(-HOUR);
  assert.equal(lifetimes.left(r, fake.now()), 2 * HOUR);
});
