// The service component (`wasi:http/proxy`) under `jco serve`, as a child
// process: jco transpiles it and answers HTTP with preview2-shim's server.
// Its `wasi:config/store` import is mapped onto js/service/runtime-config.mjs
// (keys from `SIPTEL_SECRET_<NAME>` environment variables).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const jsDir = resolve(here, '..');
const repo = resolve(jsDir, '..');

/** The service component built by host-harness/build.rs. */
export const SERVICE_WASM = process.env.SIPTEL_SMS_SERVICE_WASM
  ? resolve(process.env.SIPTEL_SMS_SERVICE_WASM)
  : resolve(repo, 'target', 'guest', 'siptel_sms_service.wasm');

const JCO = resolve(jsDir, 'node_modules', '.bin', 'jco');
const RUNTIME_CONFIG = pathToFileURL(resolve(jsDir, 'service', 'runtime-config.mjs')).href;

/** A free port on 127.0.0.1 (jco serve reports the port it was given). */
async function freePort() {
  const server = createServer();
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

/**
 * Starts `jco serve` on the service component with `env` added to its
 * environment, and resolves once it listens.
 * @returns {Promise<{url: string, stop: () => Promise<void>}>}
 */
export async function startService({ env = {}, timeoutMs = 60_000 } = {}) {
  if (!existsSync(SERVICE_WASM)) {
    throw new Error(`${SERVICE_WASM} is missing: build it with \`cargo build -p siptel-sms-host\``);
  }
  const port = await freePort();
  const args = [
    'serve',
    SERVICE_WASM,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--jco-map',
    `wasi:config/store@0.2.0-rc.1=${RUNTIME_CONFIG}`,
  ];
  // jco serve runs the server in a node process of its own, which a signal
  // to jco does not reach: the service gets a process group, and the whole
  // group is signalled.
  const child = spawn(JCO, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const signal = (name) => {
    try {
      process.kill(-child.pid, name);
    } catch (e) {
      if (e.code !== 'ESRCH') throw e;
    }
  };
  const killOnExit = () => signal('SIGKILL');
  const closed = new Promise((done) => child.once('close', done));
  process.once('exit', killOnExit);

  let output = '';
  await new Promise((ready, fail) => {
    const timer = setTimeout(() => {
      signal('SIGKILL');
      fail(new Error(`jco serve did not listen within ${timeoutMs} ms: ${output}`));
    }, timeoutMs);
    const watch = (chunk) => {
      output += chunk;
      if (/Server listening @/.test(output)) {
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout.setEncoding('utf8').on('data', watch);
    child.stderr.setEncoding('utf8').on('data', watch);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`jco serve exited (code ${code}, signal ${signal}): ${output}`));
    });
  });

  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      process.removeListener('exit', killOnExit);
      signal('SIGTERM');
      // `close`: jco and the server it started are gone, with their pipes.
      await closed;
    },
  };
}
