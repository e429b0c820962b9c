// What a call through the Node package costs: `check` (no network) and
// `send` (to the stub Siptel, a child process on loopback), each awaited
// alone (the median wall time of N calls in a row) and with 16 in flight
// (calls/s); CPU per call is this process's (every thread's: the addon's
// runtimes and Node's, not the stub's).
//
//   node node/bench/call.mjs [calls]      (default 2000; after scripts/test-node.sh,
//                                          which places the addon in node/)
//
// It measures the addon in node/ (a release build measures after
// `cargo build --release -p siptel-sms-node` and copying
// target/release/libsiptel_sms_node.so there). SIPTEL_SMS_BIN: the CLI
// that runs the stub (default target/debug/siptel-sms).

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const calls = Number(process.argv[2] ?? 2000);
const IN_FLIGHT = 16;

const { SiptelSms } = createRequire(import.meta.url)('../index.js');
const stub = await startStub(process.env.SIPTEL_SMS_BIN ?? resolve(repo, 'target', 'debug', 'siptel-sms'));
process.once('exit', () => stub.child.kill('SIGKILL'));
const sms = await SiptelSms.load({ siptelBaseUrl: stub.url });
try {
  const config = {
    'api-key': 'test-key',
    sender: '56961234567',
    recipient: '56987654321',
    message: 'Hola Ana, su hora es el lunes 10:30.',
    'window-start': '00:00:00',
    'window-end': '23:59:59',
    'send-on-holidays': true,
    weekdays: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'],
  };
  const check = async () => {
    if ((await sms.check(config)).length) throw new Error('check found problems');
  };
  const send = async () => {
    const outcome = await sms.send(config);
    if (outcome.type !== 'sent') throw new Error(`send: ${JSON.stringify(outcome)}`);
  };
  for (const [name, call, n] of [
    ['check', check, calls],
    ['send', send, Math.max(100, Math.floor(calls / 4))],
  ]) {
    for (let i = 0; i < 50; i++) await call();
    const alone = [];
    const aloneCpu = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const started = process.hrtime.bigint();
      await call();
      alone.push(Number(process.hrtime.bigint() - started) / 1000);
    }
    const aloneUsed = process.cpuUsage(aloneCpu);
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next++ < n) await call();
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);
    const cpuPerCall = (used.user + used.system) / n;
    console.log(
      `${name}: alone median ${median(alone).toFixed(0)} µs (p90 ${quantile(alone, 0.9).toFixed(0)} µs, ` +
        `${((aloneUsed.user + aloneUsed.system) / n).toFixed(0)} µs CPU, ${n} calls); ` +
        `${IN_FLIGHT} in flight ${(n / seconds).toFixed(0)} calls/s, ${cpuPerCall.toFixed(0)} µs CPU per call in this process`,
    );
  }
} finally {
  await sms.close();
  stub.child.kill('SIGTERM');
}

function median(values) {
  return quantile(values, 0.5);
}

function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function startStub(bin) {
  const child = spawn(bin, ['stub', '--port', '0', '--api-key', 'test-key'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolveStub, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${bin} stub exited with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) resolveStub({ child, url: match[1] });
    });
  });
}
