// `send` end to end beyond the conformance file (conformance.test.mjs runs
// that): the transpiled component in Node, reaching the stub Siptel (a
// separate process: `siptel-sms stub --port 0`) over loopback HTTP and HTTPS
// through preview2-shim's `wasi:http/outgoing-handler`; the window against
// the live clock, the deadline, a closed port, TLS, and the key in answers.

import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  ALL_WEEKDAYS,
  WEEKDAY_BY_UTC_DAY,
  baseConfig,
  loadAction,
  show,
  startStub,
  utcTimeOfDay,
} from '../support/harness.mjs';

/** @type {Awaited<ReturnType<typeof loadAction>>} */
let action;
/** @type {import('../support/harness.mjs').Stub} */
let stub;

before(async () => {
  [action, stub] = await Promise.all([loadAction(), startStub()]);
});

after(async () => {
  await stub?.stop();
});

beforeEach(async () => {
  await stub.reset();
});

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort() {
  const server = createServer();
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

/** `date` as the component writes instants in UTC: RFC 3339, whole seconds, `+00:00`. */
function rfc3339Utc(date) {
  return `${date.toISOString().slice(0, 19)}+00:00`;
}

/** Waits past a UTC midnight closer than `marginMs`, so "today" holds during a call. */
async function clearOfUtcMidnight(marginMs = 5_000) {
  const now = Date.now();
  const toMidnight = 86_400_000 - (now % 86_400_000);
  if (toMidnight < marginMs) await sleep(toMidnight + 100);
}

describe('send', () => {
  test('the API key never appears in outcomes or problems', async () => {
    const SENTINEL = 'SENTINEL-key-7f3a9c';
    const config = { ...baseConfig(stub.url), apiKey: SENTINEL };
    const refused = action.send(config, []);
    assert.equal(refused.tag, 'failed', show(refused));
    assert.equal(refused.val.code, 'invalid-api-key');
    const invalid = action.send({ ...config, sender: 'not a number' }, []);
    assert.equal(invalid.tag, 'invalid', show(invalid));
    const checked = action.check({ ...config, sender: 'not a number' });
    for (const value of [refused, invalid, checked]) {
      assert.ok(!show(value).includes(SENTINEL), `the API key leaked: ${show(value)}`);
    }
    const [request] = await stub.requests();
    assert.equal(request.headers.authorization, `Bearer ${SENTINEL}`);
  });
});

describe('blocked by the sending window', () => {
  test('outside hours: a window that opens in two hours (UTC)', async () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const opens = new Date(now.getTime() + 2 * 3600_000);
    const closes = new Date(now.getTime() + 3 * 3600_000);
    const config = {
      ...baseConfig(stub.url),
      timeZone: 'UTC',
      windowStart: utcTimeOfDay(opens),
      windowEnd: utcTimeOfDay(closes),
    };
    const outcome = action.send(config, []);
    assert.equal(outcome.tag, 'blocked', show(outcome));
    const blocked = outcome.val;
    assert.equal(blocked.reason, 'outside-hours');
    assert.equal(blocked.nextAllowed, rfc3339Utc(opens));
    // u64 -> bigint.
    assert.equal(typeof blocked.waitSeconds, 'bigint');
    assert.ok(
      blocked.waitSeconds > 7_190n && blocked.waitSeconds <= 7_200n,
      `waitSeconds ${blocked.waitSeconds}`,
    );
    assert.ok(blocked.description.length > 0);
    assert.deepEqual(await stub.requests(), []);
  });

  test('a closed date: today (UTC) closed, open again tomorrow', async () => {
    await clearOfUtcMidnight();
    const today = new Date();
    const date = today.toISOString().slice(0, 10);
    const config = { ...baseConfig(stub.url), timeZone: 'UTC', closedDates: [date] };
    const outcome = action.send(config, []);
    assert.equal(outcome.tag, 'blocked', show(outcome));
    assert.equal(outcome.val.reason, 'closed-date');
    const tomorrow = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + 1));
    assert.equal(outcome.val.nextAllowed, rfc3339Utc(tomorrow));
    assert.deepEqual(await stub.requests(), []);
  });

  test('weekday disabled: every day but today (UTC)', async () => {
    await clearOfUtcMidnight();
    const today = new Date();
    const weekdays = { ...ALL_WEEKDAYS, [WEEKDAY_BY_UTC_DAY[today.getUTCDay()]]: false };
    const config = { ...baseConfig(stub.url), timeZone: 'UTC', weekdays, language: 'en' };
    const outcome = action.send(config, []);
    assert.equal(outcome.tag, 'blocked', show(outcome));
    assert.equal(outcome.val.reason, 'weekday-disabled');
    const tomorrow = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + 1));
    assert.equal(outcome.val.nextAllowed, rfc3339Utc(tomorrow));
    const wait = Number(outcome.val.waitSeconds);
    const expected = (tomorrow.getTime() - today.getTime()) / 1000;
    assert.ok(Math.abs(wait - expected) <= 5, `waitSeconds ${wait}, expected about ${expected}`);
    assert.deepEqual(await stub.requests(), []);
  });
});

describe('failed: the error intent', () => {
  test('the deadline cuts a slow attempt short', async () => {
    await stub.script([{ status: 503, delay_ms: 3_000 }]);
    const config = { ...baseConfig(stub.url), maxAttempts: 3, deadlineMs: 400 };
    const started = performance.now();
    const outcome = action.send(config, []);
    const elapsed = performance.now() - started;
    assert.equal(outcome.tag, 'failed', show(outcome));
    assert.equal(outcome.val.code, 'deadline-exceeded');
    assert.ok(elapsed < 2_000, `took ${elapsed} ms`);
  });

  test('nothing listening: connection-failed', async () => {
    const config = { ...baseConfig(`http://127.0.0.1:${await closedPort()}`), maxAttempts: 1 };
    const outcome = action.send(config, []);
    assert.equal(outcome.tag, 'failed', show(outcome));
    assert.equal(outcome.val.code, 'connection-failed');
    assert.equal(outcome.val.lastStatus, undefined);
  });

});

describe('https', () => {
  /** @type {import('../support/harness.mjs').Stub} */
  let tlsStub;

  before(async () => {
    tlsStub = await startStub({ tls: true });
  });

  after(async () => {
    await tlsStub?.stop();
  });

  test('sends over TLS to a stub whose certificate Node trusts', async () => {
    assert.match(tlsStub.url, /^https:\/\//);
    const outcome = action.send({ ...baseConfig(tlsStub.url), maxAttempts: 1 }, []);
    assert.equal(outcome.tag, 'sent', show(outcome));
    const requests = await tlsStub.requests();
    assert.equal(requests.length, 1, show(requests));
  });
});
