// Shared set-up of the JavaScript tests of the bare component in jco
// (trusted single-tenant use, no sandbox policy): the transpiled component,
// the stub Siptel (the Rust CLI `siptel-sms stub`, run as a child process),
// the conformance file, and a baseline config that is valid at any instant.
//
// The stub must live in another process: with jco + preview2-shim, a
// `wasi:http` request blocks the Node main thread (a worker plus
// `Atomics.wait`) until the answer comes, so a server on this thread's event
// loop could never answer it.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { STUB_KEY, Stub, startStub as startStubAt } from '../../tests/conformance/stub.mjs';

/** The API key the stub accepts by default (`--api-key`), and the stub's control API. */
export { STUB_KEY, Stub };

const here = dirname(fileURLToPath(import.meta.url));
const jsDir = resolve(here, '..');
const repo = resolve(jsDir, '..');

/** The transpiled component's entry module (written by scripts/test-js.sh). */
export const GENERATED = resolve(jsDir, 'generated', 'siptel_sms.js');

/** The `siptel-sms` CLI that runs the stub Siptel. */
export const STUB_BIN = process.env.SIPTEL_SMS_BIN
  ? resolve(process.env.SIPTEL_SMS_BIN)
  : resolve(repo, 'target', 'debug', 'siptel-sms');

/** The behaviour every path runs (tests/conformance/cases.json). */
export const CONFORMANCE_CASES = resolve(repo, 'tests', 'conformance', 'cases.json');

export const ALL_WEEKDAYS = Object.freeze({
  monday: true,
  tuesday: true,
  wednesday: true,
  thursday: true,
  friday: true,
  saturday: true,
  sunday: true,
});

/** WIT `weekdays` flag names indexed by `Date#getUTCDay()` (0 = Sunday). */
export const WEEKDAY_BY_UTC_DAY = Object.freeze([
  'sunday',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
]);

/**
 * The component's `siptel:sms/action@0.2.0` exports (`send`, `check`,
 * `preview`, `describe`). The module instantiates the component once, at
 * import; every call then runs in that one instance.
 */
export async function loadAction() {
  if (!existsSync(GENERATED)) {
    throw new Error(
      `${GENERATED} is missing: run scripts/test-js.sh (it transpiles the .wasm with jco)`,
    );
  }
  const { action } = await import(pathToFileURL(GENERATED).href);
  return action;
}

/**
 * Starts `siptel-sms stub --port 0` (with `--tls` when `tls`: HTTPS with
 * stub/tls/cert.pem, which scripts/test-js.sh makes Node trust
 * through NODE_EXTRA_CA_CERTS) and resolves once it prints its URL
 * (tests/conformance/stub.mjs, shared with the Node package's tests).
 * @returns {Promise<Stub>}
 */
export async function startStub(options = {}) {
  if (!existsSync(STUB_BIN)) {
    throw new Error(
      `${STUB_BIN} is missing: build it with \`cargo build -p siptel-sms-host\` or set SIPTEL_SMS_BIN`,
    );
  }
  return startStubAt(STUB_BIN, options);
}

/** A valid message config aimed at `baseUrl`, whose window is always open (as tests/common). */
export function baseConfig(baseUrl) {
  return {
    apiKey: STUB_KEY,
    sender: '56961234567',
    recipient: '56987654321',
    message: 'Hola Ana, su hora es el lunes 10:30.',
    windowStart: '00:00:00',
    windowEnd: '23:59:59',
    // Open on holidays too, so the tests pass on any day of the year.
    sendOnHolidays: true,
    weekdays: { ...ALL_WEEKDAYS },
    campaignVariables: [],
    closedDates: [],
    baseUrl,
    // Short waits keep retry tests fast.
    deadlineMs: 10_000,
  };
}

/** The crate version (`[workspace.package] version` of Cargo.toml), as in the User-Agent. */
export function crateVersion() {
  const toml = readFileSync(resolve(repo, 'Cargo.toml'), 'utf8');
  const section = /^\[workspace\.package\]$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(toml);
  const version = section && /^version\s*=\s*"([^"]+)"/m.exec(section[1]);
  if (!version) throw new Error('no [workspace.package] version in Cargo.toml');
  return version[1];
}

/** `HH:MM:SS` of `date` in UTC. */
export function utcTimeOfDay(date) {
  return date.toISOString().slice(11, 19);
}

/** JSON with bigints (WIT u64/s64) as strings, for assertion messages. */
export function show(value) {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2);
}
