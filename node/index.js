'use strict';
// The Siptel SMS action for Node: the Rust host (siptel-sms-host) behind
// async functions, with the component embedded in the native addon.
//
// This file converts JS values to the core's JSON wire (the JSON the CLI
// reads and the service takes) and the core's answer document back to
// values or errors. Everything else (validation of shapes, the sandbox, its
// egress and secret policy, limits) is the core's and happens in Rust.

const { existsSync } = require('node:fs');
const { readFile } = require('node:fs/promises');
const { join } = require('node:path');

/** The native addon built for this platform (scripts/test-node.sh places it). */
const ADDON = `siptel-sms.${process.platform}-${process.arch}.node`;

let native;
function addon() {
  if (native) return native;
  const path = join(__dirname, ADDON);
  if (!existsSync(path)) {
    throw new LoadError(
      `siptel-sms has no native addon for ${process.platform}-${process.arch} (${ADDON} is not in ${__dirname})`,
    );
  }
  native = require(path);
  return native;
}

// -- errors -----------------------------------------------------------------

/** Base of every error this package throws or rejects with. */
class SiptelSmsError extends Error {
  constructor(message) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A value handed in does not fit its part's shape: the component did not
 * run. `field` is the JSON path of the first wrong part (`config.recipient`,
 * `entities.name`, `options.tenant`), `code` its stable reason
 * (`wrong-type`, `unknown-field`, `missing-field`, `unknown-value`,
 * `not-an-object`, `not-json`, `not-an-instant`), `problems` every wrong part.
 */
class InputError extends SiptelSmsError {
  constructor(message, problems) {
    super(message);
    this.problems = problems;
    this.field = problems[0]?.field ?? '';
    this.code = problems[0]?.code ?? '';
  }
}

/** `preview` refused the config: every problem, in the component's order. */
class InvalidConfig extends SiptelSmsError {
  constructor(problems) {
    const listed = problems.map((p) => `${p.field}: ${p.code}`).join('; ');
    super(`the config has ${problems.length} problem(s): ${listed}`);
    this.problems = problems;
  }
}

/**
 * The sandbox stopped or failed the call; nothing the action decided.
 * `stdout`/`stderr`: what the guest wrote until then (capped, scrubbed of
 * API keys); `denied`: the requests the egress policy refused.
 */
class HostError extends SiptelSmsError {
  constructor(message, observed = {}) {
    super(message);
    this.stdout = observed.stdout ?? '';
    this.stderr = observed.stderr ?? '';
    this.denied = observed.denied ?? [];
  }
}

/** The component, or the host options it is loaded with, cannot be used. */
class LoadError extends HostError {}

/**
 * No slot came free within `limits.slotWaitMs` (`seconds`): the host is at
 * its concurrent calls, or this call's tenant at its share. The action did
 * not run; repeat the call later.
 */
class Busy extends HostError {
  constructor(message, observed, seconds) {
    super(message, observed);
    this.seconds = seconds;
  }
}

/** The call ran past its deadline (`seconds`) and was stopped. */
class CallTimeout extends HostError {
  constructor(message, observed, seconds) {
    super(message, observed);
    this.seconds = seconds;
  }
}

/** The guest needed more linear memory than `limitBytes`. */
class MemoryLimit extends HostError {
  constructor(message, observed, limitBytes) {
    super(message, observed);
    this.limitBytes = limitBytes;
  }
}

/** The guest trapped (a panic, an exit, a fault). */
class Trap extends HostError {}

/** `options.wall-clock` -> `options.now`, `options.limits.slot-wait-ms` -> `options.limits.slotWaitMs`. */
function jsPath(field) {
  if (field === 'at') return 'options.at';
  if (!field.startsWith('options.')) return field;
  if (field === 'options.wall-clock') return 'options.now';
  return field.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
}

/** The error of the core's `{"error": {...}}` document. */
function errorOf(error) {
  const { kind, message } = error;
  switch (kind) {
    case 'input': {
      const problems = error.problems.map((p) => ({ ...p, field: jsPath(p.field) }));
      const listed = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
      return new InputError(listed || message, problems);
    }
    case 'busy':
      return new Busy(message, error, error.seconds);
    case 'timeout':
      return new CallTimeout(message, error, error.seconds);
    case 'memory-limit':
      return new MemoryLimit(message, error, error['limit-bytes']);
    case 'trap':
      return new Trap(message, error);
    case 'load':
      return new LoadError(message, error);
    case 'base-url':
      // The call's `siptelBaseUrl` is not a base URL the component accepts:
      // the caller's argument is wrong, as for any other input (as in Python).
      return new InputError(`options.siptelBaseUrl: ${message}`, [
        { field: 'options.siptelBaseUrl', code: 'bad-base-url', message },
      ]);
    default:
      return new HostError(message, error);
  }
}

// -- values to the wire -----------------------------------------------------

/** JSON of `value`; a bigint is written as the integer it is. */
function json(value) {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? Number(v) : v));
}

/** `siptelBaseUrl` -> `siptel-base-url`. */
function kebab(name) {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** An object's own keys in kebab-case (the wire's names), one level. */
function kebabKeys(object) {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) return object;
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [kebab(k), v]));
}

/** An instant as RFC 3339 text (a `Date`, or text passed as is). */
function instant(at) {
  if (at instanceof Date && !Number.isNaN(at.getTime())) return at.toISOString();
  return at instanceof Date ? String(at) : at;
}

function hostOptionsJson(options = {}) {
  const { wasm: _wasm, limits, secrets, ...rest } = options;
  const wire = kebabKeys(rest);
  if (limits !== undefined) wire.limits = kebabKeys(limits);
  if (secrets !== undefined) {
    wire.secrets = secrets instanceof Map ? Object.fromEntries(secrets) : secrets;
  }
  return json(wire);
}

function callOptionsJson(options = {}) {
  const { now, secrets, ...rest } = options;
  const wire = kebabKeys(rest);
  if (now !== undefined) wire['wall-clock'] = instant(now);
  if (secrets !== undefined) {
    // An array or a Set of names; anything else goes as is, for the core to name.
    wire.secrets = Array.isArray(secrets) || secrets instanceof Set ? [...secrets] : secrets;
  }
  return json(wire);
}

function entitiesJson(entities) {
  return entities instanceof Map ? Object.fromEntries(entities) : entities;
}

// -- the action -------------------------------------------------------------

/**
 * The Siptel SMS action, loaded once: `await SiptelSms.load(options)`.
 * Every call runs in a fresh sandbox under the host's policy; calls are
 * async and run concurrently, off Node's thread.
 */
class SiptelSms {
  #native;

  /** Use `SiptelSms.load()`. */
  constructor(native, token) {
    if (token !== LOAD) throw new TypeError('use `await SiptelSms.load(options)`');
    this.#native = native;
  }

  /**
   * Loads the embedded component (or `options.wasm`, the bytes of another
   * build) with the host's options. Rejects with `InputError` (a wrong
   * option, named `options.<name>`) or `LoadError`.
   */
  static async load(options = {}) {
    const optionsJson = hostOptionsJson(options);
    // Another build of the component: its bytes, or the path of its file.
    let wasm = null;
    if (typeof options.wasm === 'string') {
      try {
        wasm = await readFile(options.wasm);
      } catch (e) {
        throw new LoadError(`cannot read the component at ${options.wasm}: ${e.message}`);
      }
    } else if (options.wasm !== undefined && options.wasm !== null) {
      wasm = Buffer.from(options.wasm);
    }
    let loaded;
    try {
      loaded = await addon().NativeBinding.load(wasm, optionsJson);
    } catch (e) {
      throw wireRejection(e);
    }
    return new SiptelSms(loaded, LOAD);
  }

  /** Sends one SMS; resolves with the outcome (`sent`, `blocked`, `invalid` or `failed`). */
  send(config, entities, options = {}) {
    const body = { config };
    if (entities !== undefined && entities !== null) body.entities = entitiesJson(entities);
    return this.#call('send', body, options);
  }

  /** Design-time validation (placeholders allowed, no network): every problem, `[]` when valid. */
  check(config, options = {}) {
    return this.#call('check', { config }, options);
  }

  /** What `send` would send at `options.at` (default now); rejects with `InvalidConfig`. */
  async preview(config, entities, options = {}) {
    const { at, ...rest } = options;
    const body = { config };
    if (entities !== undefined && entities !== null) body.entities = entitiesJson(entities);
    if (at !== undefined) body.at = instant(at);
    const answer = await this.#call('preview', body, rest);
    if (Array.isArray(answer)) throw new InvalidConfig(answer);
    return answer;
  }

  /** The action's form: each field's id, kind, default, length, label and help. */
  describe(options = {}) {
    return this.#call('describe', undefined, options);
  }

  /** Drops the loaded component; calls in flight finish, a later call loads it again. */
  async close() {
    this.#native.close();
  }

  async #call(exportName, body, options) {
    // `describe` takes no body (the core reads an empty one as none).
    const text = body === undefined ? '' : json(body);
    let answer;
    try {
      answer = await this.#native.call(exportName, text, callOptionsJson(options));
    } catch (e) {
      throw wireRejection(e);
    }
    const document = JSON.parse(answer);
    if (document.error) throw errorOf(document.error);
    return document.ok;
  }
}

const LOAD = Symbol('SiptelSms.load');

/** A rejection of the addon as this package's error. */
function wireRejection(e) {
  // The addon rejects a load with the core's error document as its message.
  if (e instanceof Error && e.message.startsWith('{"error":')) return errorOf(JSON.parse(e.message).error);
  return e;
}

/** The Siptel base URL the component uses when a config sets none. */
const DEFAULT_BASE_URL = 'https://api.siptel.cl';

exports.SiptelSms = SiptelSms;
exports.DEFAULT_BASE_URL = DEFAULT_BASE_URL;
exports.SiptelSmsError = SiptelSmsError;
exports.InputError = InputError;
exports.InvalidConfig = InvalidConfig;
exports.HostError = HostError;
exports.LoadError = LoadError;
exports.Busy = Busy;
exports.CallTimeout = CallTimeout;
exports.MemoryLimit = MemoryLimit;
exports.Trap = Trap;
