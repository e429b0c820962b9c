// What the package adds over the core: JS values in and out, errors as JS
// errors naming the field, Promises that run concurrently; and the issue's
// attacks (issue 21) run through it: another tenant's secret, huge inputs,
// a config's base-url aimed elsewhere, the key in answers.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { isAbsolute, relative } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';

import {
  Busy,
  HostError,
  InputError,
  InvalidConfig,
  LoadError,
  SiptelSms,
  SiptelSmsError,
} from 'siptel-sms';

import { STUB_KEY, baseConfig, startStub } from './support.mjs';

const SENTINEL = 'SENTINEL-key-7f3a9c';

let stub;
/** Tenants `acme` (the stub's key) and `globex` (a key nobody else may use). */
let action;

before(async () => {
  stub = await startStub();
  action = await SiptelSms.load({
    siptelBaseUrl: stub.url,
    secrets: { acme: STUB_KEY, globex: SENTINEL },
  });
});

after(async () => {
  await action?.close();
  await stub?.stop();
});

beforeEach(async () => {
  await stub.reset();
});

const acme = { secrets: ['acme'], tenant: 'acme' };

/** Every text an error or value shows: message, stack, own properties. */
function everything(value) {
  if (value instanceof Error) return `${value.message}\n${value.stack}\n${JSON.stringify({ ...value })}`;
  return JSON.stringify(value);
}

describe('tenants and secrets', () => {
  test("tenant acme cannot use tenant globex's secret: invalid on api-key, nothing sent", async () => {
    const config = { ...baseConfig(stub.url), 'api-key': 'secret:globex' };
    const outcome = await action.send(config, {}, acme);
    assert.equal(outcome.type, 'invalid', everything(outcome));
    assert.ok(
      outcome.problems.some((p) => p.field === 'api-key' && p.code === 'not-allowed'),
      everything(outcome),
    );
    assert.deepEqual(await stub.requests(), []);
    assert.ok(!everything(outcome).includes(SENTINEL));
  });

  test('a granted secret is sent as the key and appears in no answer', async () => {
    const config = { ...baseConfig(stub.url), 'api-key': 'secret:acme' };
    const outcome = await action.send(config, {}, acme);
    assert.equal(outcome.type, 'sent', everything(outcome));
    const [request] = await stub.requests();
    assert.equal(request.headers.authorization, `Bearer ${STUB_KEY}`);
    assert.ok(!everything(outcome).includes(STUB_KEY));
  });

  test('no grant, no secret: a call granted nothing cannot use any', async () => {
    const config = { ...baseConfig(stub.url), 'api-key': 'secret:acme' };
    const outcome = await action.send(config);
    assert.equal(outcome.type, 'invalid', everything(outcome));
    assert.equal(outcome.problems[0].field, 'api-key');
    assert.deepEqual(await stub.requests(), []);
  });
});

describe('bounded input: refused, never a crash, and the next tenant is served', () => {
  test('a config with 1,000,000 closed dates is a too-many problem', async () => {
    const closedDates = Array.from({ length: 1_000_000 }, (_, i) => `2030-01-${String((i % 28) + 1).padStart(2, '0')}`);
    const config = { ...baseConfig(stub.url), 'closed-dates': closedDates };
    const outcome = await action.send(config, {}, { tenant: 'attacker' });
    assert.equal(outcome.type, 'invalid', everything(outcome).slice(0, 500));
    assert.ok(
      outcome.problems.some((p) => p.field === 'closed-dates' && p.code === 'too-many'),
      JSON.stringify(outcome.problems),
    );
    const checked = await action.check(config, { tenant: 'attacker' });
    assert.ok(checked.some((p) => p.field === 'closed-dates' && p.code === 'too-many'));
    await nextTenantIsServed();
  });

  test('five entities of 100 MB each are a too-long problem, nothing sent', async () => {
    const huge = 'x'.repeat(100_000_000);
    const entities = { a: huge, b: huge, c: huge, d: huge, e: huge };
    const config = { ...baseConfig(stub.url), message: 'Hola {{a}}' };
    const outcome = await action.send(config, entities, { tenant: 'attacker' });
    assert.equal(outcome.type, 'invalid', everything(outcome).slice(0, 500));
    assert.ok(
      outcome.problems.some((p) => p.code === 'too-long' || p.code === 'too-many'),
      JSON.stringify(outcome.problems).slice(0, 500),
    );
    assert.deepEqual(await stub.requests(), []);
    await nextTenantIsServed();
  });

  async function nextTenantIsServed() {
    const outcome = await action.send(baseConfig(stub.url), {}, { tenant: 'victim' });
    assert.equal(outcome.type, 'sent', everything(outcome));
  }
});

describe('egress', () => {
  test("a config whose base-url names another host sends nothing", async () => {
    // localhost reaches the same stub: only the policy stands between them.
    const elsewhere = stub.url.replace('127.0.0.1', 'localhost');
    const config = { ...baseConfig(stub.url), 'base-url': elsewhere, 'max-attempts': 1 };
    const outcome = await action.send(config, {}, acme);
    assert.equal(outcome.type, 'failed', everything(outcome));
    assert.equal(outcome.code, 'request-denied');
    assert.deepEqual(await stub.requests(), []);
  });

  test('a call may name its own Siptel base URL; one the component refuses is an error', async () => {
    const config = { ...baseConfig(stub.url), 'max-attempts': 1 };
    const outcome = await action.send(config, {}, { siptelBaseUrl: stub.url });
    assert.equal(outcome.type, 'sent', everything(outcome));
    const refused = await action.send(config, {}, { siptelBaseUrl: 'ftp://example.com' }).catch((e) => e);
    assert.ok(refused instanceof InputError, String(refused));
    assert.deepEqual([refused.field, refused.code], ['options.siptelBaseUrl', 'bad-base-url']);
  });
});

describe('the API key', () => {
  test('never appears in outcomes, problems or errors', async () => {
    const config = { ...baseConfig(stub.url), 'api-key': SENTINEL };
    const answers = [
      await action.send(config), // Siptel refuses the key: failed
      await action.send({ ...config, sender: 'not a number' }),
      await action.check({ ...config, sender: 'not a number' }),
      await action.preview({ ...config, message: 'Hola {{x}}' }).catch((e) => e),
      await action.send({ ...config, recipient: 5 }).catch((e) => e),
      await action.send(config, {}, { tenant: 7 }).catch((e) => e),
    ];
    assert.equal(answers[0].type, 'failed');
    assert.equal(answers[0].code, 'invalid-api-key');
    assert.ok(answers[3] instanceof InvalidConfig);
    assert.ok(answers[4] instanceof InputError);
    for (const answer of answers) {
      assert.ok(!everything(answer).includes(SENTINEL), `the key leaked: ${everything(answer)}`);
    }
  });
});

describe('errors name the field', () => {
  test('a wrong type in the config is InputError on config.recipient', async () => {
    const error = await action.send({ ...baseConfig(stub.url), recipient: 56987654321 }).catch((e) => e);
    assert.ok(error instanceof InputError && error instanceof SiptelSmsError, String(error));
    assert.equal(error.field, 'config.recipient');
    assert.equal(error.code, 'wrong-type');
    assert.match(error.message, /^config\.recipient: /);
    assert.deepEqual(
      error.problems.map((p) => [p.field, p.code]),
      [['config.recipient', 'wrong-type']],
    );
    assert.deepEqual(await stub.requests(), []);
  });

  test('every wrong part is listed: unknown keys, entities, options in their JS names', async () => {
    const error = await action
      .send({ ...baseConfig(stub.url), 'max-attempts': 'three', nope: 1 }, { name: 5 })
      .catch((e) => e);
    assert.ok(error instanceof InputError, String(error));
    assert.deepEqual(
      error.problems.map((p) => p.field),
      ['config.max-attempts', 'entities.name'],
    );
    const options = await action.send(baseConfig(stub.url), {}, { tenant: 5 }).catch((e) => e);
    assert.deepEqual([options.field, options.code], ['options.tenant', 'wrong-type']);
    const clock = await action.send(baseConfig(stub.url), {}, { now: 'monday' }).catch((e) => e);
    assert.deepEqual([clock.field, clock.code], ['options.now', 'not-an-instant']);
    const at = await action.preview(baseConfig(stub.url), {}, { at: 'monday' }).catch((e) => e);
    assert.deepEqual([at.field, at.code], ['options.at', 'not-an-instant']);
    const load = await SiptelSms.load({ limits: { tenantSlots: 'two' } }).catch((e) => e);
    assert.ok(load instanceof InputError, String(load));
    assert.deepEqual([load.field, load.code], ['options.limits.tenantSlots', 'wrong-type']);
    const unknown = await SiptelSms.load({ siptelBaseUrll: 'x' }).catch((e) => e);
    assert.deepEqual([unknown.field, unknown.code], ['options.siptelBaseUrll', 'unknown-field']);
  });

  test('preview rejects with InvalidConfig carrying the problems', async () => {
    const error = await action
      .preview({ ...baseConfig(stub.url), message: 'Hola {{nombre}}' }, {}, { at: new Date() })
      .catch((e) => e);
    assert.ok(error instanceof InvalidConfig, String(error));
    assert.deepEqual(
      error.problems.map((p) => [p.field, p.code]),
      [['message', 'missing-variable']],
    );
  });

  test('a component that cannot load is LoadError', async () => {
    const error = await SiptelSms.load({ wasm: new Uint8Array([0, 97, 115, 109]) }).catch((e) => e);
    assert.ok(error instanceof LoadError && error instanceof HostError, String(error));
    const missing = await SiptelSms.load({ wasm: '/nonexistent/siptel_sms.wasm' }).catch((e) => e);
    assert.ok(missing instanceof LoadError, String(missing));
    assert.match(missing.message, /\/nonexistent\/siptel_sms\.wasm/);
  });
});

describe('Promises', () => {
  test('sends run concurrently, off the event loop', async () => {
    const n = 8;
    await stub.script(Array.from({ length: n }, () => ({ status: 201, delay_ms: 500 })));
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    const started = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: n }, (_, i) => action.send(baseConfig(stub.url), {}, { tenant: `t${i % 2}` })),
    );
    const elapsed = performance.now() - started;
    clearInterval(ticker);
    assert.deepEqual(
      outcomes.map((o) => o.type),
      Array(n).fill('sent'),
    );
    assert.equal((await stub.requests()).length, n);
    // One after another they would take n * 500 ms.
    assert.ok(elapsed < (n * 500) / 2, `${n} sends took ${elapsed.toFixed(0)} ms`);
    assert.ok(ticks >= 5, `the event loop ticked ${ticks} times in ${elapsed.toFixed(0)} ms`);
  });

  test("a tenant past its share is Busy while another tenant's call goes through", async () => {
    const small = await SiptelSms.load({
      siptelBaseUrl: stub.url,
      limits: { tenantSlots: 1, slotWaitMs: 100 },
    });
    try {
      await stub.script([{ status: 201, delay_ms: 1000 }]);
      const slow = small.send(baseConfig(stub.url), {}, { tenant: 'a' });
      await new Promise((done) => setTimeout(done, 200));
      const refused = await small.send(baseConfig(stub.url), {}, { tenant: 'a' }).catch((e) => e);
      assert.ok(refused instanceof Busy && refused instanceof HostError, String(refused));
      assert.equal(refused.seconds, 0.1);
      assert.equal((await small.check(baseConfig(stub.url), { tenant: 'b' })).length, 0);
      assert.equal((await slow).type, 'sent');
    } finally {
      await small.close();
    }
  });
});

describe('worker threads', () => {
  test('the addon loads in worker threads too, each with its own component', async () => {
    const entry = createRequire(import.meta.url).resolve('siptel-sms');
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { SiptelSms } = require(workerData.entry);
      (async () => {
        const sms = await SiptelSms.load({ siptelBaseUrl: workerData.url });
        const outcome = await sms.send(workerData.config, {}, { tenant: 'worker' });
        await sms.close();
        parentPort.postMessage(outcome.type);
      })().catch((e) => parentPort.postMessage(String(e)));`;
    const answers = await Promise.all(
      [0, 1].map(
        () =>
          new Promise((done, fail) => {
            const worker = new Worker(code, { eval: true, workerData: { entry, url: stub.url, config: baseConfig(stub.url) } });
            worker.once('message', (answer) => worker.terminate().then(() => done(answer)));
            worker.once('error', fail);
          }),
      ),
    );
    assert.deepEqual(answers, ['sent', 'sent']);
    assert.equal((await stub.requests()).length, 2);
    assert.equal((await action.send(baseConfig(stub.url))).type, 'sent');
  });
});

describe('values', () => {
  test('describe answers the form with WIT names', async () => {
    const form = await action.describe();
    assert.equal(form.fields.length, 24);
    const byId = Object.fromEntries(form.fields.map((f) => [f.id, f]));
    assert.deepEqual(byId['api-key'].kind, { type: 'secret' });
    assert.deepEqual(byId['max-attempts'].kind, { type: 'integer', min: 1, max: 10 });
    assert.equal(byId['max-attempts']['default-value'], '3');
    assert.match(form.versions.tzdata, /^20\d\d[a-z]$/);
  });

  test('entities as an object, a Map or a list of records; preview at a Date', async () => {
    const config = { ...baseConfig(stub.url), message: 'Hola {{nombre}}', recipient: '{{phone}}' };
    const at = new Date('2026-09-07T13:00:00Z');
    const fromObject = await action.preview(config, { nombre: 'Ána', phone: '+56 9 8765 4321' }, { at });
    const fromMap = await action.preview(config, new Map([['nombre', 'Ána'], ['phone', '+56 9 8765 4321']]), { at });
    const fromList = await action.preview(
      config,
      [
        { name: 'nombre', value: 'Ána' },
        { name: 'phone', value: '+56 9 8765 4321', kind: 'phone' },
      ],
      { at },
    );
    assert.deepEqual(fromMap, fromObject);
    assert.deepEqual(fromList, fromObject);
    assert.equal(fromObject.message, 'Hola Ána');
    assert.equal(fromObject.recipient, '56987654321');
    assert.equal(fromObject.encoding, 'ucs2');
    assert.deepEqual(fromObject['ucs2-characters'], ['Á']);
    assert.deepEqual(fromObject.window, { type: 'open' });
  });

  test('send honours a given wall clock: blocked outside the window', async () => {
    const config = {
      ...baseConfig(stub.url),
      'time-zone': 'America/Santiago',
      'window-start': '09:00:00',
      'window-end': '18:00:00',
    };
    const outcome = await action.send(config, null, { now: '2026-09-07T23:00:00-03:00' });
    assert.equal(outcome.type, 'blocked', everything(outcome));
    assert.equal(outcome.reason, 'outside-hours');
    assert.equal(outcome['next-allowed'], '2026-09-08T09:00:00-03:00');
    assert.equal(typeof outcome['wait-seconds'], 'number');
    assert.deepEqual(await stub.requests(), []);
  });

  test('a relative compile cache directory is taken from the working directory', async () => {
    // The cache test-node.sh set, named relative to here (so it hits).
    const compileCache = relative(process.cwd(), process.env.SIPTEL_SMS_CACHE_DIR ?? 'cache');
    assert.ok(!isAbsolute(compileCache));
    const own = await SiptelSms.load({ siptelBaseUrl: stub.url, compileCache });
    assert.deepEqual(await own.check(baseConfig(stub.url)), []);
    await own.close();
  });

  test('close, then a later call loads the component again', async () => {
    const own = await SiptelSms.load({ siptelBaseUrl: stub.url });
    await own.close();
    assert.deepEqual(await own.check(baseConfig(stub.url)), []);
    await own.close();
  });
});
