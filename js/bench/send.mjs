// Speed of a send from Node: the median of N sequential sends to the stub
// Siptel on loopback, measured the same way as python/bench_send.py measures
// Python.
//
//   node js/bench/send.mjs [sends]        (default 1000; after scripts/test-js.sh,
//                                          which transpiles the .wasm to js/generated)
//
// It starts `siptel-sms stub --port 0` (or $SIPTEL_SMS_BIN), sends 50 times
// to warm up, then times each `action.send` call and prints the median, p90
// and p99, and the same for `check`. jco's module instantiates the component
// once, at import: every call runs in that one instance (no fresh sandbox
// per call, unlike the Rust and Python hosts).

import { performance } from 'node:perf_hooks';

import { baseConfig, loadAction, startStub } from '../support/harness.mjs';

const WARM_UP = 50;
const sends = Number(process.argv[2] ?? 1000);

function summary(label, millis) {
  const sorted = [...millis].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
  return `${label}: median ${median.toFixed(2)} ms, p90 ${at(0.9).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms (${sorted.length} calls)`;
}

const action = await loadAction();
const stub = await startStub();
try {
  const config = () => {
    const { deadlineMs, ...rest } = baseConfig(stub.url);
    return rest;
  };
  for (let i = 0; i < WARM_UP; i++) {
    const outcome = action.send(config(), []);
    if (outcome.tag !== 'sent') throw new Error(`warm-up send: ${outcome.tag}`);
  }
  const sendTimes = [];
  for (let i = 0; i < sends; i++) {
    const started = performance.now();
    const outcome = action.send(config(), []);
    sendTimes.push(performance.now() - started);
    if (outcome.tag !== 'sent') throw new Error(`send ${i}: ${outcome.tag}`);
  }
  const checkTimes = [];
  for (let i = 0; i < sends; i++) {
    const started = performance.now();
    action.check(config());
    checkTimes.push(performance.now() - started);
  }
  console.log(summary('Node send (jco + preview2-shim)', sendTimes));
  console.log(summary('Node check', checkTimes));
} finally {
  await stub.stop();
}
