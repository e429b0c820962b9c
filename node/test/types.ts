// Compiled (not run) by scripts/test-node.sh with `tsc --strict --noEmit`
// against the installed package: index.d.ts is valid, outcomes narrow on
// `type`, a wrong key or option is a type error.

import { type Config, type Outcome, InputError, SiptelSms } from 'siptel-sms';

export async function sendOne(): Promise<string> {
  const sms = await SiptelSms.load({
    siptelBaseUrl: 'https://api.siptel.cl',
    secrets: { acme: 'key' },
    limits: { tenantSlots: 4, slotWaitMs: 500 },
  });
  const config: Config = {
    'api-key': 'secret:acme',
    sender: '56961234567',
    recipient: '{{phone}}',
    message: 'Hola {{name}}',
    weekdays: ['monday', 'friday'],
  };
  try {
    const outcome: Outcome = await sms.send(config, { phone: '+56 9 8765 4321' }, { secrets: ['acme'], tenant: 'acme', now: new Date() });
    switch (outcome.type) {
      case 'sent':
        return outcome.id;
      case 'blocked':
        return `${outcome['next-allowed']} in ${outcome['wait-seconds'] + 0} s`;
      case 'invalid':
        return outcome.problems.map((p) => `${p.field}: ${p.code}`).join('; ');
      case 'failed':
        return `${outcome.code} -> ${outcome['error-intent']} (${outcome['last-status'] ?? '-'})`;
    }
  } catch (e) {
    if (e instanceof InputError) return `${e.field}: ${e.code} (${e.problems.length})`;
    throw e;
  } finally {
    await sms.close();
  }
}

export async function designTime(sms: SiptelSms): Promise<number> {
  const preview = await sms.preview({ sender: '56961234567' }, [{ name: 'a', value: 'b' }], { at: '2026-09-07T09:00:00-03:00' });
  const window = preview.window.type === 'closed' ? preview.window['next-allowed'] : 'open';
  const form = await sms.describe();
  const kinds = form.fields.map((f) => (f.kind.type === 'integer' ? f.kind.max : 0));
  return window.length + kinds.length + (await sms.check({})).length;
}

// @ts-expect-error: config keys are the WIT names
export const camel: Config = { apiKey: 'k' };
// @ts-expect-error: not a weekday
export const someday: Config = { weekdays: ['someday'] };
