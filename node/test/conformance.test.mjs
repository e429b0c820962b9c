// The conformance file (tests/conformance/cases.json) through the package:
// the same cases, stub scripts and expectations as the Rust host's runner
// (tests/conformance.rs), one test per case.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { SiptelSms } from 'siptel-sms';

import { conformanceFile, startStub } from './support.mjs';

const file = conformanceFile();
assert.ok(file.cases.length >= 15, 'the file lost its cases');

let stub;
let action;

before(async () => {
  stub = await startStub();
  action = await SiptelSms.load({ siptelBaseUrl: stub.url });
});

after(async () => {
  await action?.close();
  await stub?.stop();
});

for (const kase of file.cases) {
  test(kase.name, async () => {
    await stub.reset();
    if (kase.script) await stub.script(expand(kase.script));
    const config = merged(file['base-config'], kase.config);
    config['base-url'] = stub.url;
    let answer;
    switch (kase.export) {
      case 'send':
        answer = await action.send(config, kase.entities);
        break;
      case 'check':
        answer = { problems: await action.check(config) };
        break;
      case 'preview':
        answer = await action.preview(config, kase.entities, { at: kase.at }).catch((e) => {
          if (e.name !== 'InvalidConfig') throw e;
          return { problems: e.problems };
        });
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
