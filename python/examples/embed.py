"""Embedding the Siptel SMS action in a Python host, after `pip install ./python`.

    ACME_SIPTEL_KEY=... GLOBEX_SIPTEL_KEY=... python python/examples/embed.py [SIPTEL_BASE_URL]

The tests run it against the stub Siptel (python/tests/test_runtime.py).
"""

import os
import sys

from siptel_sms import Blocked, Config, Failed, Invalid, Sent, SiptelSms

siptel = sys.argv[1] if len(sys.argv) > 1 else "https://api.siptel.cl"

# Load once per process (the component is inside the package, its compiled
# code cached); every call then runs in a fresh sandbox of the Rust host.
with SiptelSms(siptel_base_url=siptel,                           # the only place calls may reach
               secrets={"acme": os.environ["ACME_SIPTEL_KEY"],  # every tenant's key, by name
                        "globex": os.environ["GLOBEX_SIPTEL_KEY"]}) as action:
    config: Config = {"api-key": "secret:acme", "sender": "56961234567",
                      "recipient": "{{customer_phone}}", "message": "Hola {{name}}",
                      "window-start": "00:00", "window-end": "23:59:59", "send-on-holidays": True,
                      "weekdays": {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}}
    match action.send(config, {"customer_phone": "+56 9 8765 4321", "name": "Ana"},
                      secrets={"acme"}, tenant="acme"):     # this call may use acme's key only
        case Sent(id=siptel_id):                             # continue the flow
            print(f"sent: {siptel_id}")
        case Blocked(next_allowed=when):                     # defer, do not drop
            print(f"outside the window: retry at {when}")
        case Invalid(problems=problems):                     # each .field, .code, .message
            sys.exit(f"invalid: {problems}")
        case Failed(possibly_sent=True, idempotency_key=key):  # maybe sent: re-run ONLY with this key
            sys.exit(f"maybe sent: re-run only with idempotency-key {key}")
        case Failed(error_intent=intent, description=why):   # nothing was sent: the error intent
            sys.exit(f"failed, to {intent}: {why}")
