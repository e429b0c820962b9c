"""Cost of a call from Python: ``send`` and ``check`` through the package,
next to the same calls made by Rust on the same core, in one run.

    python python/benches/bench_send.py [--calls 1000] [--rounds 3] [--rust target/release/examples/rust_calls]

Run it with the package installed (``pip install ./python``; for figures
worth comparing, a release build: ``SIPTEL_PY_PROFILE=release
scripts/test-python.sh`` or a plain ``pip install ./python``). It starts the
stub Siptel (``siptel-sms stub --port 0``, $SIPTEL_SMS_BIN), warms up, then
for each round times ``calls`` sequential calls of each side in turn:

- ``package``: ``SiptelSms.send`` / ``check`` (dict to JSON, the native
  call with the GIL released, JSON to a dataclass);
- ``native``: ``_native.Binding.call`` with the same JSON bytes (the core
  through PyO3 alone);
- ``rust``: ``wire::Binding::call_blocking_json`` from Rust
  (``benches/rust_calls.rs``, built with ``cargo build --release -p
  siptel-sms-python --features rust-bench --example rust_calls``), when
  ``--rust`` names it: the Rust host's own cost of the same call;
- ``floor``: the send's request posted by ``http.client`` on a kept
  connection (the stub's own time, which is in every send figure).

Per side: the median and p90 of the wall time of one call, and the
process's CPU per call (all its threads: the core's runtime works on its
own threads; the stub is another process).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from siptel_sms import Config, Sent, SiptelSms

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("SIPTEL_SMS_BIN", str(REPO / "target/debug/siptel-sms"))
# The stub Siptel as the tests run it (tests/conformance/siptel_stub.py, stdlib only).
sys.path.insert(0, str(REPO / "tests" / "conformance"))
from siptel_stub import Stub  # noqa: E402

WARM_UP = 50


def config(base_url: str) -> Config:
    return {
        "api-key": "test-key",
        "sender": "56961234567",
        "recipient": "56987654321",
        "message": "Hola Ana, su hora es el lunes 10:30.",
        "window-start": "00:00:00",
        "window-end": "23:59:59",
        "send-on-holidays": True,
        "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
        "base-url": base_url,
    }


def plain_post(base_url: str) -> Callable[[], Any]:
    """The component's request, posted by http.client on a kept connection."""
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port))
    body = json.dumps(
        {"sender": "56961234567", "recipient": "56987654321", "message": config("")["message"], "encoding": "gsm7"}
    ).encode()
    counter = iter(range(10**9))

    def post() -> int:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "siptel-sms/bench",
            "Authorization": "Bearer test-key",
            "Idempotency-Key": f"bench-{os.getpid()}-{next(counter)}",
        }
        connection.request("POST", "/v1/sms", body, headers)
        response = connection.getresponse()
        response.read()
        return response.status

    return post


def timed(call: Callable[[], Any], calls: int) -> tuple[list[float], float]:
    """Wall seconds of each call, and the process's CPU seconds per call."""
    seconds: list[float] = []
    cpu = time.process_time()
    for _ in range(calls):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return seconds, (time.process_time() - cpu) / calls


def rust_side(binary: str, base_url: str, export: str, calls: int) -> tuple[list[float], float]:
    """The same calls from Rust: the example prints each call's µs, then CPU µs per call."""
    done = subprocess.run([binary, base_url, export, str(calls)], capture_output=True, text=True, check=True)
    lines = done.stdout.split()
    return [float(v) / 1e6 for v in lines[:-1]], float(lines[-1]) / 1e6


def line(label: str, seconds: list[float], cpu: float) -> str:
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"  {label:<8} median {statistics.median(ordered) * 1e6:8.1f} µs   p90 {p90 * 1e6:8.1f} µs   CPU {cpu * 1e6:8.1f} µs/call"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rust", help="the rust_calls example binary (release)")
    options = parser.parse_args()

    stub = Stub(BIN)
    base_url = stub.url
    try:
        with SiptelSms(siptel_base_url=base_url) as action:
            binding = action._binding
            cfg = config(base_url)
            body = json.dumps({"config": cfg}).encode()
            sides: dict[str, dict[str, Callable[[], Any]]] = {
                "send": {
                    "package": lambda: action.send(cfg),
                    "native": lambda: binding.call("send", body, b""),
                    "floor": plain_post(base_url),
                },
                "check": {
                    "package": lambda: action.check(cfg),
                    "native": lambda: binding.call("check", body, b""),
                },
            }
            assert isinstance(action.send(cfg), Sent)
            for export, calls in sides.items():
                for call in calls.values():
                    for _ in range(WARM_UP):
                        call()
            print(f"{options.calls} sequential calls per side and round, stub {base_url} ({BIN})")
            for round in range(1, options.rounds + 1):
                for export, calls in sides.items():
                    print(f"round {round}, {export}:")
                    if options.rust:
                        stub.reset()  # the stub's log does not grow through the run
                        print(line("rust", *rust_side(options.rust, base_url, export, options.calls)))
                    for label, call in calls.items():
                        stub.reset()
                        print(line(label, *timed(call, options.calls)))
    finally:
        stub.stop()


if __name__ == "__main__":
    main()
