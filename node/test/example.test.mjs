// The README's Node example (examples/embed.mjs, shown there verbatim) runs
// as written, from another directory, against the stub Siptel; and the
// installed package is what it should be: no .wasm beside it, types shipped.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { STUB_KEY, startStub } from './support.mjs';

const example = fileURLToPath(new URL('../examples/embed.mjs', import.meta.url));

let stub;
before(async () => {
  stub = await startStub();
});
after(async () => {
  await stub?.stop();
});

test('examples/embed.mjs checks and sends, run from another directory', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [example], {
    cwd: tmpdir(),
    env: { ...process.env, SIPTEL_BASE_URL: stub.url, SIPTEL_API_KEY: STUB_KEY },
    timeout: 60_000,
  });
  assert.match(stdout, /^check: \[\n? *\{\n? *field: 'sender',\n? *code: 'wrong-length'/m);
  assert.match(stdout, /^sent sms_\S+ in 1 attempt\(s\)$/m);
  assert.ok(!stdout.includes(STUB_KEY), stdout);
  const [request] = await stub.requests();
  assert.equal(request.headers.authorization, `Bearer ${STUB_KEY}`);
  assert.equal(request.body.message, 'Hola Ana, su hora es el lunes 10:30.');
});

test("the README's Node section shows the example verbatim", (t) => {
  const readme = process.env.SIPTEL_SMS_README;
  if (!readme) return t.skip('SIPTEL_SMS_README is not set (scripts/test-node.sh sets it)');
  const text = readFileSync(readme, 'utf8');
  assert.ok(text.includes('```js\n' + readFileSync(example, 'utf8') + '```\n'), 'README.md: the example differs');
});

test('the installed package carries the addon and its types, and no .wasm', () => {
  const installed = dirname(createRequire(import.meta.url).resolve('siptel-sms/package.json'));
  const files = readdirSync(installed).sort();
  assert.deepEqual(
    files.filter((f) => !f.endsWith('.node')),
    ['README.md', 'index.d.ts', 'index.js', 'package.json'],
  );
  assert.equal(files.filter((f) => f.endsWith('.node')).length, 1, files.join(', '));
});
