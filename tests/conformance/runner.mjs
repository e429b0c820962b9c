// The runner of the conformance file (cases.json, read its `about`) for the
// JavaScript paths: js/test/conformance.test.mjs (the bare component in jco)
// and node/test/conformance.test.mjs (the Node package). It loads the file,
// and for each case resets the stub, queues its script (`@repeat:` written
// out), merges the config, asks the path for the answer and checks it and
// the requests; each suite brings only how its path makes the call.
// Node built-ins only, so it runs from wherever it is imported
// (scripts/test-node.sh passes this directory in SIPTEL_SMS_CONFORMANCE).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

/** The conformance file at `path`, parsed (and checked it still has its cases). */
export function readCases(path) {
  const file = JSON.parse(readFileSync(path, 'utf8'));
  assert.ok(file.cases.length >= 15, 'the file lost its cases');
  return file;
}

/**
 * One `node:test` test per case of `file`.
 * - `stub()`: the running stub (started by the suite's `before` hook);
 * - `call(kase, config)`: the answer of `kase.export` called with `config`
 *   (and the case's `entities`, `at`), as the service's JSON;
 * - `cannot`: cases the path cannot run, name to reason (reported as skipped).
 */
export function conformanceTests(file, { stub, call, cannot = {} }) {
  for (const kase of file.cases) {
    test(kase.name, { skip: cannot[kase.name] ?? false }, async () => {
      const running = stub();
      await running.reset();
      if (kase.script) await running.script(expand(kase.script));
      const config = merged(file['base-config'], kase.config);
      config['base-url'] = running.url;
      if (!['send', 'check', 'preview'].includes(kase.export)) assert.fail(`unknown export ${kase.export}`);
      const answer = await call(kase, config);
      subset(kase.expect, answer, 'answer');
      const requests = await running.requests();
      if (kase.requests !== undefined) {
        assert.equal(requests.length, kase.requests, `requests: ${JSON.stringify(requests)}`);
      }
      if (kase['last-request'] !== undefined) {
        assert.ok(requests.length > 0, 'no request');
        subset(kase['last-request'], requests.at(-1), 'last-request');
      }
    });
  }
}

/** `base` with `changes` merged over it; a null value removes the key. */
export function merged(base, changes = {}) {
  const config = structuredClone(base);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete config[key];
    else config[key] = value;
  }
  return config;
}

/** Whether every key of `expected` is in `actual` with an equal value
 * (objects recursively, lists item by item with the same length). */
export function subset(expected, actual, path) {
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
export function expand(value) {
  if (typeof value === 'string' && value.startsWith('@repeat:')) {
    const rest = value.slice('@repeat:'.length);
    const colon = rest.lastIndexOf(':');
    return rest.slice(0, colon).repeat(Number(rest.slice(colon + 1)));
  }
  if (Array.isArray(value)) return value.map(expand);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v)]));
  return value;
}
