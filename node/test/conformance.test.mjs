// The conformance file (tests/conformance/cases.json) through the package:
// the same cases, stub scripts and expectations as the Rust host's runner
// (tests/conformance.rs), one test per case. The runner's rules are
// tests/conformance/runner.mjs, shared with the bare component's suite in
// jco; only the calls through the package are here.

import { after, before } from 'node:test';

import { SiptelSms } from 'siptel-sms';

import { conformanceFile, runner, startStub } from './support.mjs';

const file = conformanceFile();

let stub;
let action;

before(async () => {
  stub = await startStub();
  action = await SiptelSms.load({ siptelBaseUrl: stub.url });
});

after(async () => {
  await action?.close();
  await stub?.stop();
});

runner.conformanceTests(file, {
  stub: () => stub,
  async call(kase, config) {
    switch (kase.export) {
      case 'send':
        return action.send(config, kase.entities);
      case 'check':
        return { problems: await action.check(config) };
      case 'preview':
        return action.preview(config, kase.entities, { at: kase.at }).catch((e) => {
          if (e.name !== 'InvalidConfig') throw e;
          return { problems: e.problems };
        });
    }
  },
});
