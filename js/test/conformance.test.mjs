// The conformance file (tests/conformance/cases.json) through the bare
// component transpiled by jco, with no policy: the portability proof that a
// WASI 0.2 host other than wasmtime runs it the same. One test per case,
// as the Rust host's runner (tests/conformance.rs) and the Node package's;
// the runner's rules are tests/conformance/runner.mjs, shared with the
// Node package's suite, and only the calls through jco are here.
//
// The file speaks the service's JSON (WIT names, `{type: ...}` variants);
// jco speaks its own mapping of the WIT (camelCase records, flags objects,
// `{tag, val}` variants, bigint `u64`, an `err` thrown as ComponentError).
// `toJco` and `fromJco` below convert; nothing else stands between the
// cases and the component.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import { conformanceTests, readCases } from '../../tests/conformance/runner.mjs';
import { CONFORMANCE_CASES, loadAction, startStub } from '../support/harness.mjs';

const file = readCases(CONFORMANCE_CASES);

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

conformanceTests(file, {
  stub: () => stub,
  cannot: CANNOT,
  call(kase, config) {
    switch (kase.export) {
      case 'send':
        return fromJco(action.send(configToJco(config), entitiesToJco(kase.entities)));
      case 'check':
        return { problems: fromJco(action.check(configToJco(config))) };
      case 'preview':
        try {
          return fromJco(action.preview(configToJco(config), entitiesToJco(kase.entities), instantToJco(kase.at)));
        } catch (e) {
          // result<preview, list<problem>>: jco throws the err case.
          if (!('payload' in e)) throw e;
          return { problems: fromJco(e.payload) };
        }
    }
  },
});

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
