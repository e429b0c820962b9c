// `send` end to end: the transpiled component in Node, reaching the stub
// Siptel (a separate process: `siptel-sms stub --port 0`) over loopback HTTP
// and HTTPS through preview2-shim's `wasi:http/outgoing-handler`. The same
// outcomes as tests/send.rs asserts against wasmtime.

import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  ALL_WEEKDAYS,
  STUB_KEY,
  WEEKDAY_BY_UTC_DAY,
  baseConfig,
  crateVersion,
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
  test('sends a message and the stub records the exact request', async () => {
    const outcome = action.send(baseConfig(stub.url), []);

    // variant outcome -> {tag, val}; record receipt -> camelCase keys.
    assert.equal(outcome.tag, 'sent', show(outcome));
    const receipt = outcome.val;
    assert.equal(receipt.attempts, 1);
    assert.equal(receipt.segments, 1);
    assert.equal(receipt.status, 'queued');
    assert.match(receipt.id, /^sms_/);
    assert.match(receipt.idempotencyKey, /^[A-Za-z0-9_-]{8,64}$/);
    assert.equal(receipt.campaign, undefined);

    const requests = await stub.requests();
    assert.equal(requests.length, 1, show(requests));
    const [request] = requests;
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/v1/sms');
    assert.equal(request.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(request.headers.accept, 'application/json');
    assert.equal(request.headers.authorization, `Bearer ${STUB_KEY}`);
    assert.equal(request.headers['user-agent'], `siptel-sms/${crateVersion()}`);
    assert.equal(request.headers['idempotency-key'], receipt.idempotencyKey);
    assert.equal(request.headers['x-siptel-rut'], undefined);
    assert.deepEqual(request.body, {
      sender: '56961234567',
      recipient: '56987654321',
      message: 'Hola Ana, su hora es el lunes 10:30.',
      encoding: 'gsm7',
    });
    assert.equal(request.answered_status, 201);
    assert.equal((await stub.sent()).length, 1);
  });

  test('flow variables are rendered before sending', async () => {
    const config = {
      ...baseConfig(stub.url),
      recipient: '{{ customer_phone }}',
      message: 'Hola {{name}}, ¿confirma su hora?',
    };
    const entities = [
      { name: 'customer_phone', value: '+56 9 8765 4321', kind: 'phone' },
      { name: 'name', value: 'Ana' },
    ];
    const outcome = action.send(config, entities);
    assert.equal(outcome.tag, 'sent', show(outcome));
    const [request] = await stub.requests();
    assert.equal(request.body.recipient, '56987654321');
    assert.equal(request.body.message, 'Hola Ana, ¿confirma su hora?');
    assert.equal(request.body.encoding, 'gsm7');
  });

  test('the rut is sent normalised in X-Siptel-Rut', async () => {
    const outcome = action.send({ ...baseConfig(stub.url), rut: '12.345.678-5' }, []);
    assert.equal(outcome.tag, 'sent', show(outcome));
    const [request] = await stub.requests();
    assert.equal(request.headers['x-siptel-rut'], '12345678-5');
  });

  test('a given idempotency key is used, and a repeat is answered once', async () => {
    const config = { ...baseConfig(stub.url), idempotencyKey: 'flow-run-0001' };
    const first = action.send(config, []);
    const second = action.send(config, []);
    assert.equal(first.tag, 'sent', show(first));
    assert.equal(second.tag, 'sent', show(second));
    assert.equal(first.val.idempotencyKey, 'flow-run-0001');
    assert.equal(second.val.id, first.val.id);
    const requests = await stub.requests();
    assert.deepEqual(
      requests.map((r) => [r.headers['idempotency-key'], r.answered_status]),
      [
        ['flow-run-0001', 201],
        ['flow-run-0001', 200],
      ],
    );
    assert.equal((await stub.sent()).length, 1, 'Siptel sent one SMS');
  });

  test('an invalid config gets every problem and sends nothing', async () => {
    const config = {
      ...baseConfig(stub.url),
      apiKey: '',
      recipient: '56221234567',
      message: 'Hola {{nombre}}',
    };
    const outcome = action.send(config, []);
    // variant case with a list payload: val is the array of problem records.
    assert.equal(outcome.tag, 'invalid', show(outcome));
    assert.deepEqual(
      outcome.val.map(({ field, code }) => [field, code]),
      [
        ['api-key', 'required'],
        ['recipient', 'not-mobile'],
        ['message', 'missing-variable'],
      ],
      show(outcome.val),
    );
    assert.deepEqual(await stub.requests(), []);
  });

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
  test('503 on every attempt: server-error after max-attempts, one idempotency key', async () => {
    await stub.script([
      { status: 503, headers: {}, delay_ms: 0 },
      { status: 503, headers: {}, delay_ms: 0 },
    ]);
    const outcome = action.send({ ...baseConfig(stub.url), maxAttempts: 2 }, []);
    assert.equal(outcome.tag, 'failed', show(outcome));
    const failure = outcome.val;
    assert.equal(failure.errorIntent, 'SendSMS_SiptelSMS_ErrorError');
    assert.equal(failure.code, 'server-error');
    assert.equal(failure.attempts, 2);
    assert.equal(failure.lastStatus, 503);
    assert.ok(failure.description.length > 0);
    const requests = await stub.requests();
    assert.deepEqual(
      requests.map((r) => r.answered_status),
      [503, 503],
    );
    const keys = new Set(requests.map((r) => r.headers['idempotency-key']));
    assert.equal(keys.size, 1, show(requests));
  });

  test('402 insufficient balance goes to the configured error intent, not retried', async () => {
    await stub.configure({ api_key: STUB_KEY, balance: 0 });
    const config = { ...baseConfig(stub.url), errorIntent: 'SMS_Failed' };
    const outcome = action.send(config, []);
    assert.equal(outcome.tag, 'failed', show(outcome));
    const requests = await stub.requests();
    assert.deepEqual(
      { ...outcome.val, description: typeof outcome.val.description },
      {
        errorIntent: 'SMS_Failed',
        code: 'insufficient-balance',
        description: 'string',
        attempts: 1,
        lastStatus: 402,
        idempotencyKey: requests[0].headers['idempotency-key'],
        possiblySent: false,
      },
    );
    assert.equal(requests.length, 1);
  });

  test('a 503 then success: sent on the second attempt with the same key', async () => {
    await stub.script([{ status: 503 }]);
    const outcome = action.send({ ...baseConfig(stub.url), maxAttempts: 2 }, []);
    assert.equal(outcome.tag, 'sent', show(outcome));
    assert.equal(outcome.val.attempts, 2);
    const requests = await stub.requests();
    assert.deepEqual(
      requests.map((r) => [r.answered_status, r.headers['idempotency-key']]),
      [
        [503, outcome.val.idempotencyKey],
        [201, outcome.val.idempotencyKey],
      ],
    );
  });

  test('429 with Retry-After: 0 on every attempt: rate-limited', async () => {
    await stub.script([
      { status: 429, headers: { 'retry-after': 0 } },
      { status: 429, headers: { 'retry-after': 0 } },
    ]);
    const outcome = action.send({ ...baseConfig(stub.url), maxAttempts: 2 }, []);
    assert.equal(outcome.tag, 'failed', show(outcome));
    assert.equal(outcome.val.code, 'rate-limited');
    assert.equal(outcome.val.lastStatus, 429);
    assert.equal(outcome.val.attempts, 2);
  });

  test('a slow answer times out after attempt-timeout-ms', async () => {
    await stub.script([{ status: 201, delay_ms: 3_000 }]);
    const config = { ...baseConfig(stub.url), maxAttempts: 1, attemptTimeoutMs: 300 };
    const started = performance.now();
    const outcome = action.send(config, []);
    const elapsed = performance.now() - started;
    assert.equal(outcome.tag, 'failed', show(outcome));
    assert.equal(outcome.val.code, 'timeout');
    assert.equal(outcome.val.lastStatus, undefined);
    assert.ok(elapsed >= 290 && elapsed < 2_000, `took ${elapsed} ms`);
  });

  test('a timed-out attempt is retried and the retry succeeds', async () => {
    await stub.script([{ status: 503, delay_ms: 3_000 }]);
    const config = { ...baseConfig(stub.url), maxAttempts: 2, attemptTimeoutMs: 300 };
    const outcome = action.send(config, []);
    assert.equal(outcome.tag, 'sent', show(outcome));
    assert.equal(outcome.val.attempts, 2);
  });

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

  test('a dropped connection is retried; the second attempt is sent', async () => {
    await stub.script([{ drop: true }]);
    const outcome = action.send({ ...baseConfig(stub.url), maxAttempts: 2 }, []);
    assert.equal(outcome.tag, 'sent', show(outcome));
    assert.equal(outcome.val.attempts, 2);
  });

  test('nothing listening: connection-failed', async () => {
    const config = { ...baseConfig(`http://127.0.0.1:${await closedPort()}`), maxAttempts: 1 };
    const outcome = action.send(config, []);
    assert.equal(outcome.tag, 'failed', show(outcome));
    assert.equal(outcome.val.code, 'connection-failed');
    assert.equal(outcome.val.lastStatus, undefined);
  });

  test('an answer larger than 64 KiB is malformed-response (read through the shim stream)', async () => {
    await stub.script([{ status: 201, body: 'x'.repeat(200_000) }]);
    const outcome = action.send({ ...baseConfig(stub.url), maxAttempts: 1 }, []);
    assert.equal(outcome.tag, 'failed', show(outcome));
    assert.equal(outcome.val.code, 'malformed-response');
    assert.equal(outcome.val.lastStatus, 201);
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
