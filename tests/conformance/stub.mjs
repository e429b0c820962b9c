// The stub Siptel for the JavaScript tests: the Rust CLI `siptel-sms stub
// --port 0`, run as a child process, and its control API (`/_stub/*`).
// Shared by js/support/harness.mjs (the bare component in jco) and
// node/test/support.mjs (the Node package; scripts/test-node.sh passes this
// directory in SIPTEL_SMS_CONFORMANCE). Node built-ins only, so it runs from
// wherever it is imported.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** The API key the stub accepts by default (`--api-key`). */
export const STUB_KEY = 'test-key';

/**
 * Starts `<bin> stub --port 0` (with `--tls` when `tls`: HTTPS with
 * stub/tls/cert.pem, which the caller makes Node trust through
 * NODE_EXTRA_CA_CERTS) and resolves once it prints its URL.
 * @returns {Promise<Stub>}
 */
export async function startStub(bin, { timeoutMs = 15_000, tls = false } = {}) {
  const args = ['stub', '--port', '0', '--api-key', STUB_KEY, ...(tls ? ['--tls'] : [])];
  const child = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A test process that dies without its `after` hook still takes the stub down.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });

  const url = await new Promise((resolveUrl, reject) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the stub did not print its URL within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    lines.on('line', (line) => {
      const match = /^stub Siptel listening on (https?:\/\/\S+)$/.exec(line.trim());
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
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
    /** `http://127.0.0.1:PORT`, no trailing slash. */
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
    if (!response.ok) {
      throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
    }
    return answer;
  }

  /** Recorded requests: `{method, path, headers, body, answered_status, received_ms}`. */
  requests() {
    return this.#control('GET', '/_stub/requests');
  }

  /** SMS the stub accepted (one per idempotency key): `{id, sender, recipient, text, ...}`. */
  sent() {
    return this.#control('GET', '/_stub/sent');
  }

  /** Queues scripted answers: `{status, headers, body, delay_ms}` or `{drop: true}`. */
  script(entries) {
    return this.#control('POST', '/_stub/script', entries);
  }

  /** Replaces the stub's behaviour, e.g. `{balance: 0}`; `{}` restores the default. */
  configure(config) {
    return this.#control('POST', '/_stub/config', config);
  }

  /** Forgets requests, script, idempotency keys and sent SMS, and restores the config. */
  async reset() {
    await this.#control('POST', '/_stub/reset');
    await this.configure({ api_key: STUB_KEY });
  }

  /** Kills the stub process and waits for it to exit. */
  async stop() {
    process.removeListener('exit', this.killOnExit);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((done) => this.child.once('exit', done));
    this.child.kill('SIGTERM');
    await exited;
  }
}
