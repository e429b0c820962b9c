import { InputError, SiptelSms } from 'siptel-sms';

// The platform's keys stay outside the sandbox; each call is granted its tenant's.
const siptel = process.env.SIPTEL_BASE_URL ?? 'https://api.siptel.cl';
const sms = await SiptelSms.load({
  siptelBaseUrl: siptel, // the only place calls may reach (a config's base-url elsewhere is refused)
  secrets: { acme: process.env.SIPTEL_API_KEY },
});

const config = {
  'api-key': 'secret:acme',
  sender: '56961234567',
  recipient: '{{phone}}',
  message: 'Hola {{name}}, su hora es el lunes 10:30.',
  'window-start': '00:00',
  'window-end': '23:59:59',
  weekdays: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'],
  'send-on-holidays': true,
};
const acme = { secrets: ['acme'], tenant: 'acme' };

try {
  console.log('check:', await sms.check({ ...config, sender: '12' }, acme));
  const outcome = await sms.send(config, { phone: '+56 9 8765 4321', name: 'Ana' }, acme);
  switch (outcome.type) {
    case 'sent': // continue the flow
      console.log(`sent ${outcome.id} in ${outcome.attempts} attempt(s)`);
      break;
    case 'blocked': // outside the window: retry at outcome['next-allowed']
      console.log(`blocked until ${outcome['next-allowed']}`);
      break;
    case 'invalid': // nothing was sent
      console.log('invalid:', outcome.problems.map((p) => `${p.field}: ${p.code}`));
      break;
    case 'failed': // go to the flow's error intent
      console.log(`failed: ${outcome.code} -> ${outcome['error-intent']}`);
      break;
  }
} catch (e) {
  if (!(e instanceof InputError)) throw e; // HostError: the sandbox stopped the call
  console.log(`wrong input at ${e.field}: ${e.code}`);
} finally {
  await sms.close();
}
