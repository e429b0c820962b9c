// How a JavaScript host embeds the siptel-sms component (Node 20+).
//
// 1. Transpile the component to an ES module with jco (once per .wasm build):
//
//      cargo build -p siptel-sms-host          # builds the .wasm and the CLI
//      cd js && npm ci
//      npx jco transpile ../target/guest/wasm32-wasip2/guest/siptel_sms.wasm \
//          --name siptel_sms --strict -o generated
//
//    (scripts/test-js.sh does exactly this.) The output imports the WASI
//    interfaces from @bytecodealliance/preview2-shim: wasi:http from its Node
//    http module, wasi:clocks, wasi:random and wasi:cli from the others.
//    `--strict` makes bad integers throw TypeError instead of wrapping
//    (without it, `maxAttempts: 257` silently becomes 1).
//
// 2. Run this file:
//
//      node examples/node/embed.mjs                 # starts a stub Siptel
//      node examples/node/embed.mjs http://127.0.0.1:8080   # an already running one
//
//    Without an argument it starts `target/debug/siptel-sms stub --port 0`
//    (or $SIPTEL_SMS_BIN) as a child process. It must be another process:
//    preview2-shim performs wasi:http requests synchronously (the main thread
//    waits on a worker with Atomics.wait), so an HTTP server on this
//    process's event loop cannot answer while `send` runs; the component's
//    own attempt timeout would then end the call with `failed: timeout`.
//
// How WIT values look in JavaScript (jco 1.35):
//
//   WIT                       JavaScript
//   ------------------------  ----------------------------------------------
//   record field `api-key`    property `apiKey` (kebab-case -> camelCase)
//   string, bool              string, boolean
//   u8, u16, u32              number (checked with --strict)
//   u64 (`wait-seconds`),     bigint (`blocked.waitSeconds === 7200n`);
//     datetime `seconds`        number is accepted as input
//   option<T>                 T or undefined (null is accepted as none)
//   list<T>                   Array
//   enum (`field-id`, ...)    the case name as a string: 'api-key', 'gsm7'
//   flags `weekdays`          { monday: true, ... }; missing keys are false
//   variant `outcome`         { tag: 'sent', val: receipt } | { tag: 'blocked',
//                             val: blocked } | { tag: 'invalid', val: [problem] }
//                             | { tag: 'failed', val: failure }
//   variant case w/o payload  { tag: 'open' } (no val)
//   result<T, E> (a return)   returns T; an err throws ComponentError whose
//                             `.payload` is E (`preview` -> list<problem>)
//
// The module instantiates the component once, when it is imported; every call
// runs in that instance, synchronously.

import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const generated = process.env.SIPTEL_SMS_JS ?? resolve(repo, 'js', 'generated', 'siptel_sms.js');

// The exported interface siptel:sms/action@0.1.0 is the module's `action`.
const { action } = await import(pathToFileURL(generated).href);

// -- describe: the form, for a flow designer ---------------------------------
const form = action.describe();
console.log(`${form.name.en}: ${form.summary.en}`);
for (const field of form.fields) {
  const kind = field.kind.val === undefined ? field.kind.tag : `${field.kind.tag} ${JSON.stringify(field.kind.val)}`;
  const preset = field.defaultValue === undefined ? '' : ` (default ${field.defaultValue})`;
  console.log(`  ${field.required ? '*' : ' '} ${field.id.padEnd(19)} ${kind}${preset}`);
}

// -- a Siptel to talk to -------------------------------------------------------
let stub;
let baseUrl = process.argv[2];
if (!baseUrl) {
  stub = await startStub(process.env.SIPTEL_SMS_BIN ?? resolve(repo, 'target', 'debug', 'siptel-sms'));
  baseUrl = stub.url;
}

try {
  // A config: WIT record `config`, camelCase keys.
  const config = {
    apiKey: 'test-key',
    sender: '56961234567',
    recipient: '{{ customer_phone }}',
    message: 'Hola {{name}}, su hora es el lunes 10:30.',
    windowStart: '00:00:00',
    windowEnd: '23:59:59',
    sendOnHolidays: true,
    weekdays: { monday: true, tuesday: true, wednesday: true, thursday: true, friday: true, saturday: true, sunday: true },
    campaignVariables: [],
    closedDates: [],
    timeZone: 'America/Santiago',
    baseUrl,
    language: 'en',
  };
  // Flow entities fill the {{placeholders}}.
  const entities = [
    { name: 'customer_phone', value: '+56 9 8765 4321', kind: 'phone' },
    { name: 'name', value: 'Ana' },
  ];

  // -- check: design-time validation, no network --------------------------------
  const problems = action.check({ ...config, sender: '12', windowStart: '25:00' });
  console.log('\ncheck (a bad config):');
  for (const p of problems) console.log(`  ${p.field}: ${p.code}: ${p.message}`);

  // -- preview: what send would send, at an instant (default now) -----------------
  // 2026-09-07T13:00:00Z; datetime is { seconds: bigint, nanoseconds: number }.
  const at = { seconds: 1788786000n, nanoseconds: 0 };
  try {
    const preview = action.preview(config, entities, at);
    console.log(
      `\npreview: to ${preview.recipient}: "${preview.message}" (${preview.encoding}, ` +
        `${preview.segments} segment(s)), window ${preview.window.tag}`,
    );
  } catch (e) {
    // result<send-preview, list<problem>>: the err case is thrown.
    if (!('payload' in e)) throw e;
    console.log('\npreview refused:', e.payload.map((p) => `${p.field}: ${p.code}`).join('; '));
  }

  // -- send: one SMS, with retries; the outcome tells the host what to do -------
  const outcome = action.send(config, entities);
  console.log(`\nsend -> ${outcome.tag}`);
  switch (outcome.tag) {
    case 'sent': // continue the flow
      console.log(`  Siptel id ${outcome.val.id}, ${outcome.val.status}, ${outcome.val.attempts} attempt(s), key ${outcome.val.idempotencyKey}`);
      break;
    case 'blocked': // outside the window: defer, do not drop
      console.log(`  retry at ${outcome.val.nextAllowed} (in ${outcome.val.waitSeconds} s): ${outcome.val.description}`);
      break;
    case 'invalid': // config wrong after rendering: nothing was sent
      for (const p of outcome.val) console.log(`  ${p.field}: ${p.code}: ${p.message}`);
      break;
    case 'failed': // the flow goes to the error intent
      console.log(`  -> intent ${outcome.val.errorIntent}: ${outcome.val.code} (HTTP ${outcome.val.lastStatus ?? '-'}, ${outcome.val.attempts} attempt(s)): ${outcome.val.description}`);
      break;
  }
  process.exitCode = outcome.tag === 'sent' ? 0 : 1;
} finally {
  stub?.child.kill('SIGTERM');
}

/** Starts the stub Siptel from the CLI and resolves with its URL once it listens. */
function startStub(bin) {
  const child = spawn(bin, ['stub', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolveStub, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${bin} stub exited with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) resolveStub({ child, url: match[1] });
    });
  });
}
