"""How a Python host embeds the siptel-sms component (Python 3.11+).

1. Build the component and the CLI, and install the package (or run
   scripts/test-python.sh once and use its venv, target/python-venv):

       cargo build -p siptel-sms-host       # the .wasm and the CLI
       pip install ./python                 # wasmtime==50.0.1, h11==0.16.0

2. Run this file:

       python examples/python/embed.py                        # starts a stub Siptel
       python examples/python/embed.py http://127.0.0.1:8080  # an already running one

   Without an argument it starts ``target/debug/siptel-sms stub --port 0``
   (or $SIPTEL_SMS_BIN) as a child process and stops it at the end.

How WIT values look in Python (package ``siptel_sms``):

   WIT                        Python
   -------------------------  ---------------------------------------------
   record `config`            dict keyed by WIT names ("api-key"; "api_key"
                              works too) or a dataclass; unknown keys raise
                              InputError; a missing option is None, a
                              missing list [], missing flags none
   flags `weekdays`           a set of names, or {"monday": True, ...}
   enum                       the case name: "en", "gsm7-transliterate"
   list<entity>               [{"name": ..., "value": ...}] or {name: value}
   option<datetime> `at`      an aware datetime, or Unix seconds
   variant `outcome`          Sent | Blocked | Invalid | Failed (dataclasses)
   variant `window-status`    WindowOpen() | WindowClosed(blocked)
   result<preview, problems>  returns Preview; raises InvalidConfig(.problems)
   the sandbox's failures     CallTimeout, MemoryLimit, Trap, Busy (HostError)

Keys kept outside the sandbox belong to a tenant: SiptelSms(..., secrets={"acme":
key}) holds them, a config says "api-key": "secret:acme", and each call names
the secrets it may use: action.send(config, entities, secrets={"acme"}).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))  # when the package is not installed

from siptel_sms import (  # noqa: E402
    Blocked,
    Failed,
    Invalid,
    InvalidConfig,
    Sent,
    SiptelSms,
)

WASM = os.environ.get("SIPTEL_SMS_WASM", str(REPO / "target/guest/wasm32-wasip2/guest/siptel_sms.wasm"))


def start_stub() -> tuple[subprocess.Popen[str], str]:
    """Starts the stub Siptel from the CLI; returns it and its URL."""
    binary = os.environ.get("SIPTEL_SMS_BIN", str(REPO / "target/debug/siptel-sms"))
    stub = subprocess.Popen([binary, "stub", "--port", "0"], stdout=subprocess.PIPE, text=True)
    assert stub.stdout is not None
    for line in stub.stdout:
        match = re.search(r"listening on (https?://\S+)", line)
        if match:
            return stub, match.group(1)
    raise RuntimeError(f"{binary} stub exited with {stub.wait()}")


def main() -> int:
    stub, base_url = (None, sys.argv[1]) if len(sys.argv) > 1 else start_stub()
    try:
        # Load and compile once; every call then runs in a fresh sandbox. Calls
        # may reach this Siptel only, whatever a config's base-url says.
        with SiptelSms(WASM, siptel_base_url=base_url) as action:
            # -- describe: the form, for a flow designer -----------------------
            form = action.describe()
            print(f"{form.name.en}: {form.summary.en}")
            for field in form.fields:
                default = f" (default {field.default_value})" if field.default_value else ""
                print(f"  {'*' if field.required else ' '} {field.id:<19} {field.kind.name}{default}")

            config = {
                "api-key": "test-key",
                "sender": "56961234567",
                "recipient": "{{ customer_phone }}",
                "message": "Hola {{name}}, su hora es el lunes 10:30.",
                "window-start": "00:00:00",
                "window-end": "23:59:59",
                "send-on-holidays": True,
                "weekdays": {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"},
                "time-zone": "America/Santiago",
                "base-url": base_url,
                "language": "en",
            }
            entities = {"customer_phone": "+56 9 8765 4321", "name": "Ana"}

            # -- check: design-time validation, no network ---------------------
            print("\ncheck (a bad config):")
            for problem in action.check({**config, "sender": "12", "window-start": "25:00"}):
                print(f"  {problem.field}: {problem.code}: {problem.message}")

            # -- preview: what send would send, at an instant --------------------
            at = datetime(2026, 9, 7, 13, 0, tzinfo=timezone.utc)
            try:
                preview = action.preview(config, entities, at=at)
                window = "open" if preview.window_open else "closed"
                print(
                    f'\npreview: to {preview.recipient}: "{preview.message}" '
                    f"({preview.encoding}, {preview.segments} segment(s)), window {window}"
                )
            except InvalidConfig as refused:
                print("\npreview refused:", "; ".join(f"{p.field}: {p.code}" for p in refused.problems))

            # -- send: one SMS, with retries; the outcome says what to do --------
            outcome = action.send(config, entities)
            print(f"\nsend -> {type(outcome).__name__}")
            if isinstance(outcome, Sent):  # continue the flow
                print(f"  Siptel id {outcome.id}, {outcome.status}, {outcome.attempts} attempt(s)")
            elif isinstance(outcome, Blocked):  # outside the window: defer, do not drop
                print(f"  retry at {outcome.next_allowed} (in {outcome.wait_seconds} s)")
            elif isinstance(outcome, Invalid):  # nothing was sent
                for problem in outcome.problems:
                    print(f"  {problem.field}: {problem.code}: {problem.message}")
            elif isinstance(outcome, Failed):  # the flow goes to the error intent
                print(f"  -> intent {outcome.error_intent}: {outcome.code}: {outcome.description}")
                if outcome.possibly_sent:  # Siptel may have it: re-run only with this key
                    print(f"  possibly sent: re-run only with idempotency-key {outcome.idempotency_key}")
            return 0 if isinstance(outcome, Sent) else 1
    finally:
        if stub is not None:
            stub.terminate()
            stub.wait()


if __name__ == "__main__":
    sys.exit(main())
