// Shared set-up of the package's tests: the stub Siptel (the Rust CLI
// `siptel-sms stub --port 0`, a child process, as js/support/harness.mjs
// runs it) and the conformance file. scripts/test-node.sh copies these
// tests into a fresh project where `siptel-sms` is the installed tarball,
// and tells them where the repository's files are through the environment:
// the stub and the conformance runner are the repository's
// tests/conformance/stub.mjs and runner.mjs (SIPTEL_SMS_CONFORMANCE), shared
// with the bare component's tests in jco.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

function required(name) {
  const value = process.env[name];
  if (!value || !existsSync(value)) {
    throw new Error(`${name} must name an existing file (scripts/test-node.sh sets it); got ${value}`);
  }
  return value;
}

const shared = required('SIPTEL_SMS_CONFORMANCE');
const stubModule = await import(pathToFileURL(join(shared, 'stub.mjs')).href);

/** The conformance runner (tests/conformance/runner.mjs). */
export const runner = await import(pathToFileURL(join(shared, 'runner.mjs')).href);

/** The `siptel-sms` CLI that runs the stub Siptel. */
export const STUB_BIN = required('SIPTEL_SMS_BIN');

/** tests/conformance/cases.json, parsed. */
export function conformanceFile() {
  return runner.readCases(required('SIPTEL_SMS_CASES'));
}

/** The API key the stub accepts (`--api-key`). */
export const STUB_KEY = stubModule.STUB_KEY;

/** A running stub Siptel and its control API (`/_stub/*`). */
export const Stub = stubModule.Stub;

/** A config valid at any instant, aimed at `baseUrl` (as tests/common). */
export function baseConfig(baseUrl) {
  return {
    'api-key': STUB_KEY,
    sender: '56961234567',
    recipient: '56987654321',
    message: 'Hola Ana, su hora es el lunes 10:30.',
    'window-start': '00:00:00',
    'window-end': '23:59:59',
    'send-on-holidays': true,
    weekdays: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'],
    'base-url': baseUrl,
    'deadline-ms': 10000,
  };
}

/** Starts `siptel-sms stub --port 0` and resolves once it prints its URL. */
export function startStub({ timeoutMs = 15_000 } = {}) {
  return stubModule.startStub(STUB_BIN, { timeoutMs });
}
