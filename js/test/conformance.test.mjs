// The conformance file (tests/conformance/cases.json) through the bare
// component transpiled by jco, with no policy: the portability proof that a
// WASI 0.2 host other than wasmtime runs it the same. One test per case,
// as the Rust host's runner (tests/conformance.rs) and the Node package's.
//
// The file speaks the service's JSON (WIT names, `{type: ...}` variants);
// jco speaks its own mapping of the WIT (camelCase records, flags objects,
// `{tag, val}` variants, bigint `u64`, an `err` thrown as ComponentError).
// `toJco` and `fromJco` below convert; nothing else stands between the
// cases and the component.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { CONFORMANCE_CASES, loadAction, startStub } from '../support/harness.mjs';

const file = JSON.parse(readFileSync(CONFORMANCE_CASES, 'utf8'));
assert.ok(file.cases.length >= 15, 'the file lost its cases');

/** Cases jco cannot run, each with the reason (reported as skipped, never dropped). */
const CANNOT = {};

let action;
let stub;

before(async () => {
  [action, stub] = await Promise.all([loadAction(), startStub()]);
});

after(async () => {
  await stub?.stop();
});

for (const kase of file.cases) {
  test(kase.name, { skip: CANNOT[kase.name] ?? false }, async () => {
    await stub.reset();
    if (kase.script) await stub.script(expand(kase.script));
    const config = merged(file['base-config'], kase.config);
    config['base-url'] = stub.url;
    let answer;
    switch (kase.export) {
      case 'send':
        answer = fromJco(action.send(configToJco(config), entitiesToJco(kase.entities)));
        break;
      case 'check':
        answer = { problems: fromJco(action.check(configToJco(config))) };
        break;
      case 'preview':
        try {
          answer = fromJco(action.preview(configToJco(config), entitiesToJco(kase.entities), instantToJco(kase.at)));
        } catch (e) {
          // result<preview, list<problem>>: jco throws the err case.
          if (!('payload' in e)) throw e;
          answer = { problems: fromJco(e.payload) };
        }
        break;
      default:
        assert.fail(`unknown export ${kase.export}`);
    }
    subset(kase.expect, answer, 'answer');
    const requests = await stub.requests();
    if (kase.requests !== undefined) {
      assert.equal(requests.length, kase.requests, `requests: ${JSON.stringify(requests)}`);
    }
    if (kase['last-request'] !== undefined) {
      assert.ok(requests.length > 0, 'no request');
      subset(kase['last-request'], requests.at(-1), 'last-request');
    }
  });
}

// -- the service's JSON to jco's values, and back ------------------------------

const camel = (name) => name.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
const kebab = (name) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** A config (WIT names, as the CLI reads it) as jco's `config` record. */
function configToJco(config) {
  // What serde's `Config::default()` fills in: jco's record needs every
  // non-option field.
  const record = { apiKey: '', sender: '', recipient: '', windowStart: '', windowEnd: '', weekdays: {}, closedDates: [], campaignVariables: [] };
  for (const [key, value] of Object.entries(config)) {
    record[camel(key)] = key === 'weekdays' ? Object.fromEntries(value.map((day) => [day, true])) : value;
  }
  return record;
}

/** Entities as an object of name to value, or a list of records, as `list<entity>`. */
function entitiesToJco(entities = []) {
  if (Array.isArray(entities)) return entities;
  return Object.entries(entities).map(([name, value]) => ({ name, value }));
}

/** An RFC 3339 instant as `wasi:clocks` `datetime` (none when absent). */
function instantToJco(at) {
  if (at === undefined) return undefined;
  const millis = Date.parse(at);
  assert.ok(!Number.isNaN(millis), `not an instant: ${at}`);
  return { seconds: BigInt(Math.floor(millis / 1000)), nanoseconds: 0 };
}

/** A jco value as the service's JSON: kebab-case keys, `{type, ...}` variants,
 * `null` for none, numbers for bigints. */
function fromJco(value) {
  if (value === undefined || value === null) return null;
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(fromJco);
  if (typeof value !== 'object') return value;
  if ('tag' in value) {
    // A variant: its payload's fields beside `type`; a list payload
    // (`invalid`) is `problems`.
    const payload = fromJco(value.val);
    if (payload === null) return { type: value.tag };
    return Array.isArray(payload) ? { type: value.tag, problems: payload } : { type: value.tag, ...payload };
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [kebab(k), fromJco(v)]));
}

// -- the runner's rules (tests/conformance/cases.json `about`) -----------------

/** `base` with `changes` merged over it; a null value removes the key. */
function merged(base, changes = {}) {
  const config = structuredClone(base);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete config[key];
    else config[key] = value;
  }
  return config;
}

/** Whether every key of `expected` is in `actual` with an equal value
 * (objects recursively, lists item by item with the same length). */
function subset(expected, actual, path) {
  const where = `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
  if (isObject(expected)) {
    assert.ok(isObject(actual), where);
    for (const [key, value] of Object.entries(expected)) subset(value, actual[key] ?? null, `${path}.${key}`);
  } else if (Array.isArray(expected) && Array.isArray(actual) && expected.length === actual.length) {
    expected.forEach((item, i) => subset(item, actual[i], `${path}[${i}]`));
  } else {
    assert.deepEqual(actual, expected, where);
  }
}

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `@repeat:<c>:<n>` strings written out. */
function expand(value) {
  if (typeof value === 'string' && value.startsWith('@repeat:')) {
    const rest = value.slice('@repeat:'.length);
    const colon = rest.lastIndexOf(':');
    return rest.slice(0, colon).repeat(Number(rest.slice(colon + 1)));
  }
  if (Array.isArray(value)) return value.map(expand);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v)]));
  return value;
}
