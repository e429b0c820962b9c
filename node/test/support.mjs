// Shared set-up of the package's tests: the stub Siptel (the Rust CLI
// `siptel-sms stub --port 0`, a child process, as js/support/harness.mjs
// runs it) and the conformance file. scripts/test-node.sh copies these
// tests into a fresh project where `siptel-sms` is the installed tarball,
// and tells them where the repository's files are through the environment.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

function required(name) {
  const value = process.env[name];
  if (!value || !existsSync(value)) {
    throw new Error(`${name} must name an existing file (scripts/test-node.sh sets it); got ${value}`);
  }
  return value;
}

/** The `siptel-sms` CLI that runs the stub Siptel. */
export const STUB_BIN = required('SIPTEL_SMS_BIN');

/** tests/conformance/cases.json, parsed. */
export function conformanceFile() {
  return JSON.parse(readFileSync(required('SIPTEL_SMS_CASES'), 'utf8'));
}

/** The API key the stub accepts (`--api-key`). */
export const STUB_KEY = 'test-key';

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
export async function startStub({ timeoutMs = 15_000 } = {}) {
  const child = spawn(STUB_BIN, ['stub', '--port', '0', '--api-key', STUB_KEY], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    stderr += chunk;
  });
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the stub did not print its URL within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /^stub Siptel listening on (https?:\/\/\S+)$/.exec(line.trim());
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the stub exited early (code ${code}, signal ${signal}); stderr: ${stderr}`));
    });
  });
  return new Stub(child, url, killOnExit);
}

/** A running stub Siptel and its control API (`/_stub/*`). */
export class Stub {
  constructor(child, url, killOnExit) {
    this.child = child;
    this.url = url;
    this.killOnExit = killOnExit;
  }

  async #control(method, path, body) {
    const response = await fetch(this.url + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
    return answer;
  }

  /** Recorded requests: `{method, path, headers, body, answered_status, received_ms}`. */
  requests() {
    return this.#control('GET', '/_stub/requests');
  }

  /** Queues scripted answers: `{status, headers, body, delay_ms}` or `{drop: true}`. */
  script(entries) {
    return this.#control('POST', '/_stub/script', entries);
  }

  /** Forgets requests, script and sent SMS, and restores the config. */
  async reset() {
    await this.#control('POST', '/_stub/reset');
    await this.#control('POST', '/_stub/config', { api_key: STUB_KEY });
  }

  async stop() {
    process.removeListener('exit', this.killOnExit);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((done) => this.child.once('exit', done));
    this.child.kill('SIGTERM');
    await exited;
  }
}
