// `describe`, `check` and `preview` beyond the conformance file: no network,
// so no stub. They show how jco maps the WIT values (records camelCase,
// enums strings, flags objects, variants `{tag, val}`, none `undefined`,
// `u64` bigint, an `err` thrown as ComponentError with `.payload`).

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { baseConfig, loadAction, show } from '../support/harness.mjs';

/** @type {Awaited<ReturnType<typeof loadAction>>} */
let action;

before(async () => {
  action = await loadAction();
});

describe('describe', () => {
  test('returns the form with its 24 fields, one per config field, in order, and the data versions', () => {
    const form = action.describe();
    assert.deepEqual(form.name, { es: 'Siptel SMS', en: 'Siptel SMS' });
    assert.ok(form.summary.es && form.summary.en, show(form.summary));
    assert.equal(form.fields.length, 24);
    // WIT enum `field-id` -> the case name as a string, kebab-case as in WIT.
    assert.deepEqual(
      form.fields.map((f) => f.id),
      [
        'api-key',
        'sender',
        'recipient',
        'message',
        'purpose',
        'opt-out',
        'window-start',
        'window-end',
        'weekdays',
        'send-on-holidays',
        'closed-dates',
        'campaign',
        'campaign-variables',
        'rut',
        'error-intent',
        'time-zone',
        'max-attempts',
        'base-url',
        'language',
        'encoding',
        'max-segments',
        'idempotency-key',
        'attempt-timeout-ms',
        'deadline-ms',
      ],
    );
    for (const field of form.fields) {
      assert.ok(field.label.es && field.label.en, `label of ${field.id}`);
      assert.ok(field.help.es && field.help.en, `help of ${field.id}`);
      assert.equal(typeof field.required, 'boolean');
      // Record fields are camelCase: `accepts-variables` -> `acceptsVariables`.
      assert.equal(typeof field.acceptsVariables, 'boolean');
    }
    assert.match(form.versions.tzdata, /^20\d\d[a-z]$/);
    assert.match(form.versions.phoneMetadata, /^\d+\.\d+\.\d+$/);
    assert.equal(form.versions.holidayYears, '2000-2100');
  });

  test('variants are {tag, val}; val is absent for payload-less cases; none is undefined', () => {
    const byId = Object.fromEntries(action.describe().fields.map((f) => [f.id, f]));
    assert.deepEqual(byId['api-key'].kind, { tag: 'secret' });
    assert.equal(byId['api-key'].required, true);
    assert.equal(byId['api-key'].defaultValue, undefined);
    assert.deepEqual(byId['max-attempts'].kind, { tag: 'integer', val: { min: 1, max: 10 } });
    assert.equal(byId['max-attempts'].defaultValue, '3');
    assert.deepEqual(byId.language.kind, { tag: 'choice', val: ['es', 'en'] });
    assert.deepEqual(byId.encoding.kind, {
      tag: 'choice',
      val: ['auto', 'gsm7-transliterate', 'ucs2'],
    });
    assert.equal(byId['time-zone'].defaultValue, 'America/Santiago');
    assert.equal(byId['error-intent'].defaultValue, 'SendSMS_SiptelSMS_ErrorError');
    assert.equal(byId['base-url'].defaultValue, 'https://api.siptel.cl');
  });
});

describe('check', () => {
  test('a bad config gets every problem, named by field, in a stable order', () => {
    const config = {
      ...baseConfig('http://127.0.0.1:9'),
      apiKey: '',
      sender: '12',
      windowStart: '25:00',
      weekdays: {},
      timeZone: 'Mars/Base',
      maxAttempts: 0,
      baseUrl: 'http://example.com',
      language: 'en',
    };
    const problems = action.check(config);
    assert.deepEqual(
      problems.map(({ field, code }) => [field, code]),
      [
        ['api-key', 'required'],
        ['sender', 'wrong-length'],
        ['window-start', 'invalid-time'],
        ['weekdays', 'no-weekday'],
        ['time-zone', 'unknown-time-zone'],
        ['max-attempts', 'out-of-range'],
        ['base-url', 'insecure-url'],
      ],
      show(problems),
    );
    for (const p of problems) assert.ok(p.message.length > 0);
    // `language` is honoured: the same problems in Spanish read differently.
    const spanish = action.check({ ...config, language: 'es' });
    assert.deepEqual(
      spanish.map(({ field, code }) => [field, code]),
      problems.map(({ field, code }) => [field, code]),
    );
    assert.notEqual(spanish[0].message, problems[0].message);
  });

  test('none is undefined or null; a missing flags record means no flag set', () => {
    const base = baseConfig('http://127.0.0.1:9');
    assert.deepEqual(action.check({ ...base, rut: undefined, timeZone: null }), []);
    const { weekdays, ...noWeekdays } = base;
    assert.deepEqual(
      action.check(noWeekdays).map(({ field, code }) => [field, code]),
      [['weekdays', 'no-weekday']],
    );
    assert.deepEqual(
      action.check({ ...base, message: null }).map(({ field, code }) => [field, code]),
      [['message', 'message-or-campaign']],
    );
  });

  test('bindings are strict: out-of-range integers and bad enum names throw TypeError', () => {
    const base = baseConfig('http://127.0.0.1:9');
    // Without `jco transpile --strict` a u32 of 2^32 + 1 would wrap silently to 1.
    assert.throws(() => action.check({ ...base, maxAttempts: 2 ** 32 + 1 }), TypeError);
    assert.throws(() => action.check({ ...base, maxAttempts: 1.5 }), TypeError);
    assert.throws(() => action.check({ ...base, deadlineMs: 2 ** 32 }), TypeError);
    assert.throws(() => action.check({ ...base, language: 'fr' }), TypeError);
    assert.throws(() => action.check({ ...base, apiKey: 42 }), TypeError);
  });
});

describe('preview', () => {
  // 2026-09-07T13:00:00Z, a Monday: 10:00 in America/Santiago (UTC-3).
  const MONDAY_10_SANTIAGO = { seconds: 1788786000n, nanoseconds: 0 };

  test('a public holiday is closed all day unless sending on holidays is on', () => {
    // 2026-09-18T13:00:00Z: Friday 18 September, 10:00 in Santiago.
    const FIESTAS = { seconds: 1789736400n, nanoseconds: 0 };
    const config = {
      ...baseConfig('http://127.0.0.1:9'),
      timeZone: 'America/Santiago',
      windowStart: '09:00',
      windowEnd: '18:00',
      weekdays: { monday: true, tuesday: true, wednesday: true, thursday: true, friday: true },
      sendOnHolidays: undefined,
    };
    const { window } = action.preview(config, [], FIESTAS);
    assert.equal(window.tag, 'closed', show(window));
    assert.equal(window.val.reason, 'holiday');
    assert.match(window.val.description, /18 de septiembre/);
    assert.equal(window.val.nextAllowed, '2026-09-21T09:00:00-03:00');
    const open = action.preview({ ...config, sendOnHolidays: true }, [], FIESTAS);
    assert.deepEqual(open.window, { tag: 'open' });
  });

  test('a promotional message needs an opt-out, appended on the last line', () => {
    const config = {
      ...baseConfig('http://127.0.0.1:9'),
      purpose: 'promotional',
      message: 'Oferta de hoy',
    };
    assert.throws(
      () => action.preview(config, [], MONDAY_10_SANTIAGO),
      (e) => e.payload.some((p) => p.field === 'opt-out' && p.code === 'required'),
    );
    const preview = action.preview({ ...config, optOut: 'Responda BAJA' }, [], MONDAY_10_SANTIAGO);
    assert.equal(preview.message, 'Oferta de hoy\nResponda BAJA');
  });

  test('result<_, list<problem>> errors are thrown as ComponentError with .payload', () => {
    const config = { ...baseConfig('http://127.0.0.1:9'), message: 'Hola {{ nombre }}' };
    assert.throws(
      () => action.preview(config, [], undefined),
      (e) => {
        assert.equal(e.constructor.name, 'ComponentError');
        assert.deepEqual(
          e.payload.map(({ field, code }) => [field, code]),
          [['message', 'missing-variable']],
        );
        return true;
      },
    );
  });
});
