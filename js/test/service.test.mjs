// The service component (`wasi:http/proxy`) under `jco serve`, against the
// stub Siptel (both child processes): the same HTTP API as tests/service.rs
// asserts on this project's host, with the key of `secret:acme` supplied as
// runtime config (`SIPTEL_SECRET_ACME`, js/service/runtime-config.mjs).

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';

import { STUB_KEY, startStub } from '../support/harness.mjs';
import { startService } from '../support/service.mjs';

/** @type {import('../support/harness.mjs').Stub} */
let stub;
let service;

before(async () => {
  [stub, service] = await Promise.all([
    startStub(),
    startService({ env: { SIPTEL_SECRET_ACME: STUB_KEY } }),
  ]);
});

after(async () => {
  await Promise.all([stub?.stop(), service?.stop()]);
});

beforeEach(async () => {
  await stub.reset();
});

const EVERY_DAY = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

/** A message config (the CLI's JSON) aimed at the stub, always in its window. */
function config(overrides = {}) {
  return {
    'api-key': 'secret:acme',
    sender: '56961234567',
    recipient: '{{phone}}',
    message: 'Hola {{name}}, su hora es el lunes 10:30.',
    'window-start': '00:00:00',
    'window-end': '23:59:59',
    weekdays: EVERY_DAY,
    'base-url': stub.url,
    'deadline-ms': 10000,
    ...overrides,
  };
}

const entities = { phone: '+56 9 8765 4321', name: 'Ana' };

async function call(method, path, body) {
  const response = await fetch(service.url + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

describe('the service under jco serve', () => {
  test('send answers sent with 200 and Siptel gets the key from runtime config', async () => {
    const answer = await call('POST', '/v1/send', { config: config(), entities });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json().type, 'sent');
    assert.equal(answer.json().attempts, 1);
    assert.ok(!answer.text.includes(STUB_KEY));
    const [request] = await stub.requests();
    assert.equal(request.headers.authorization, `Bearer ${STUB_KEY}`);
    assert.equal(request.body.recipient, '56987654321');
  });

  test('send outside the window is 409 with Retry-After, nothing sent', async () => {
    const hour = (Math.floor(Date.now() / 3_600_000) + 1) % 24;
    const hh = String(hour).padStart(2, '0');
    const blocked = config({ 'time-zone': 'UTC', 'window-start': `${hh}:00:00`, 'window-end': `${hh}:59:59` });
    const answer = await call('POST', '/v1/send', { config: blocked, entities });
    assert.equal(answer.status, 409, answer.text);
    assert.equal(answer.json().type, 'blocked');
    assert.equal(answer.headers.get('retry-after'), String(answer.json()['wait-seconds']));
    assert.equal((await stub.requests()).length, 0);
  });

  test('send invalid is 422 and failed is 502', async () => {
    const invalid = await call('POST', '/v1/send', { config: config({ sender: '' }), entities });
    assert.equal(invalid.status, 422, invalid.text);
    assert.equal(invalid.json().problems[0].field, 'sender');

    await stub.script([{ status: 402 }]);
    const failed = await call('POST', '/v1/send', { config: config(), entities });
    assert.equal(failed.status, 502, failed.text);
    assert.equal(failed.json().code, 'insufficient-balance');
    assert.equal(failed.json()['error-intent'], 'SendSMS_SiptelSMS_ErrorError');
  });

  test('a secret the engine does not hold is refused before anything is sent', async () => {
    const answer = await call('POST', '/v1/send', { config: config({ 'api-key': 'secret:globex' }), entities });
    assert.equal(answer.status, 422, answer.text);
    assert.equal(answer.json().problems[0].field, 'api-key');
    assert.equal(answer.json().problems[0].code, 'not-allowed');
    assert.equal((await stub.requests()).length, 0);
  });

  test('check, preview, describe and health', async () => {
    const clean = await call('POST', '/v1/check', { config: config() });
    assert.deepEqual([clean.status, clean.json()], [200, []]);
    const wrong = await call('POST', '/v1/check', { config: config({ 'window-end': '25:00' }) });
    assert.equal(wrong.status, 422);
    assert.equal(wrong.json()[0].field, 'window-end');

    const preview = await call('POST', '/v1/preview', {
      config: config({ weekdays: EVERY_DAY.slice(0, 5) }),
      entities,
      at: '2026-09-06T10:00:00-03:00',
    });
    assert.equal(preview.status, 200, preview.text);
    assert.equal(preview.json().message, 'Hola Ana, su hora es el lunes 10:30.');
    assert.equal(preview.json().window['next-allowed'], '2026-09-07T00:00:00-03:00');

    const form = await call('GET', '/v1/describe');
    assert.equal(form.status, 200);
    assert.ok(form.json().fields.some((field) => field.id === 'api-key'));
    const health = await call('GET', '/v1/health');
    assert.equal(health.json().status, 'ok');
  });

  test('bad, oversized and misrouted requests', async () => {
    const bad = await call('POST', '/v1/send', { config: config({ 'max-attempts': 'three' }), at: 'now' });
    assert.equal(bad.status, 400, bad.text);
    assert.deepEqual(
      bad.json().problems.map((p) => [p.field, p.code]),
      [
        ['at', 'unknown-field'],
        ['config.max-attempts', 'wrong-type'],
      ],
    );
    const big = `{"config": {}, "pad": "${'x'.repeat(300 * 1024)}"}`;
    const tooLarge = await call('POST', '/v1/check', big);
    assert.equal(tooLarge.status, 413, tooLarge.text);
    assert.equal((await call('GET', '/v1/nope')).status, 404);
    assert.equal((await call('GET', '/v1/send')).status, 405);
    assert.equal((await stub.requests()).length, 0);
  });
});
