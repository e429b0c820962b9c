// The embedding example keeps working: it starts its own stub (through
// SIPTEL_SMS_BIN) and sends one SMS.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { GENERATED, STUB_BIN } from '../support/harness.mjs';

const example = fileURLToPath(new URL('../../examples/node/embed.mjs', import.meta.url));

test('examples/node/embed.mjs describes, checks, previews and sends', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [example], {
    env: { ...process.env, SIPTEL_SMS_BIN: STUB_BIN, SIPTEL_SMS_JS: GENERATED },
    timeout: 20_000,
  });
  assert.match(stdout, /^ {2}\* api-key +secret$/m);
  assert.match(stdout, /^ {2}window-start: invalid-time: /m);
  assert.match(stdout, /^preview: to 56987654321: "Hola Ana, su hora es el lunes 10:30\." \(gsm7, 1 segment\(s\)\), window open$/m);
  assert.match(stdout, /^send -> sent$/m);
});
