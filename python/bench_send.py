"""Speed of a send from Python: the median of N sequential sends to the stub
Siptel on loopback, measured the same way as js/bench/send.mjs measures Node.

    target/python-venv/bin/python python/bench_send.py [--sends 1000] [--compare-builtin]

It starts ``siptel-sms stub --port 0`` (or $SIPTEL_SMS_BIN), sends 50 times
to warm up, then times each ``SiptelSms.send`` call (a fresh sandbox, the
request over a kept connection, the outcome as a dataclass) and prints the
median, p90 and p99, the same for ``check``, and for the floor: the same
request posted with ``http.client`` over a kept connection (the stub's own
time is in every figure; the debug CLI's stub is not fast).

``--compare-builtin`` also times, alternately with this package's sends,
the same send through wasmtime-py's own WASI (``Linker.add_wasip2()`` and
``add_wasi_http()``): the path without an egress policy that this package
chose not to take (see the README, "Embedding from Python").
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

from wasmtime import Store, WasiConfig  # noqa: E402
from wasmtime import component as wc  # noqa: E402

from siptel_sms import Sent, SiptelSms  # noqa: E402
from siptel_sms import native  # noqa: E402
from siptel_sms.values import NO_RESOURCES  # noqa: E402

WASM = os.environ.get("SIPTEL_SMS_WASM", str(REPO / "target/guest/wasm32-wasip2/guest/siptel_sms.wasm"))
BIN = os.environ.get("SIPTEL_SMS_BIN", str(REPO / "target/debug/siptel-sms"))
WARM_UP = 50


def config(base_url: str) -> dict[str, Any]:
    return {
        "api-key": "test-key",
        "sender": "56961234567",
        "recipient": "56987654321",
        "message": "Hola Ana, su hora es el lunes 10:30.",
        "window-start": "00:00:00",
        "window-end": "23:59:59",
        "send-on-holidays": True,
        "weekdays": {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"},
        "base-url": base_url,
    }


def plain_post(base_url: str) -> Callable[[], int]:
    """The component's request, posted by http.client on a kept connection."""
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port))
    body = json.dumps(
        {"sender": "56961234567", "recipient": "56987654321", "message": "Hola Ana, su hora es el lunes 10:30.", "encoding": "gsm7"}
    ).encode()
    counter = iter(range(10**9))

    def post() -> int:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "User-Agent": "siptel-sms/bench",
            "Authorization": "Bearer test-key",
            "Idempotency-Key": f"bench-{os.getpid()}-{next(counter)}",
        }
        connection.request("POST", "/v1/sms", body, headers)
        response = connection.getresponse()
        response.read()
        return response.status

    return post


def summary(label: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return (
        f"{label}: median {statistics.median(ordered) * 1000:.2f} ms, "
        f"p90 {pick(0.9):.2f} ms, p99 {pick(0.99):.2f} ms ({len(ordered)} calls)"
    )


def builtin_send(action: SiptelSms, base_url: str) -> Callable[[], Any]:
    """A send through wasmtime-py's own wasi:http, with this package's value
    conversion (so only the WASI differs)."""
    sandbox = action._sandbox
    linker = wc.Linker(sandbox.engine)
    linker.add_wasip2()
    linker.add_wasi_http()
    index, signature = sandbox.exports["send"]
    args = [schema.lower(value, name, NO_RESOURCES) for (name, schema), value in zip(signature.params, [config(base_url), []])]

    def send() -> Any:
        store = Store(sandbox.engine)
        store.set_wasi(WasiConfig())
        store.set_wasi_http()  # without it the first request aborts the process
        store.set_epoch_deadline(1_000)
        try:
            instance = linker.instantiate(store, sandbox.component)
            func = instance.get_func(store, index)
            assert func is not None and signature.result is not None
            return signature.result.lift(native.call(func, store, signature.native, args), NO_RESOURCES)
        finally:
            store.close()

    return send


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sends", type=int, default=1000)
    parser.add_argument("--compare-builtin", action="store_true")
    options = parser.parse_args()

    stub = subprocess.Popen([BIN, "stub", "--port", "0"], stdout=subprocess.PIPE, text=True)
    assert stub.stdout is not None
    base_url = next(m.group(1) for line in stub.stdout if (m := re.search(r"listening on (http\S+)", line)))
    try:
        with SiptelSms(WASM, siptel_base_url=base_url) as action:
            send = lambda: action.send(config(base_url))  # noqa: E731
            check = lambda: action.check(config(base_url))  # noqa: E731
            builtin = builtin_send(action, base_url) if options.compare_builtin else None
            for _ in range(WARM_UP):
                assert isinstance(send(), Sent)
                if builtin is not None:
                    assert builtin().tag == "sent"
            post = plain_post(base_url)
            times: dict[str, list[float]] = {"send": [], "builtin": [], "check": [], "post": []}
            for _ in range(options.sends):
                started = time.perf_counter()
                outcome = send()
                times["send"].append(time.perf_counter() - started)
                assert isinstance(outcome, Sent), outcome
                if builtin is not None:
                    started = time.perf_counter()
                    answer = builtin()
                    times["builtin"].append(time.perf_counter() - started)
                    assert answer.tag == "sent", answer
                started = time.perf_counter()
                status = post()
                times["post"].append(time.perf_counter() - started)
                assert status == 201, status
            for _ in range(options.sends):
                started = time.perf_counter()
                check()
                times["check"].append(time.perf_counter() - started)
        print(summary("Python send (this package's wasi:http, egress policy)", times["send"]))
        if builtin is not None:
            print(summary("Python send (wasmtime-py's own wasi:http, no policy)", times["builtin"]))
        print(summary("Python check", times["check"]))
        print(summary("floor: http.client POST of the same request, kept connection", times["post"]))
    finally:
        stub.terminate()
        stub.wait()


if __name__ == "__main__":
    main()
