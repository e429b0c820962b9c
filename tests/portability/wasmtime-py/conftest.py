"""The component loaded once per WASI implementation and the stub Siptel (the Rust CLI's
``siptel-sms stub --port 0``, a child process) for the session.

Paths come from the environment that scripts/test-portability-python.sh
sets, or default to the repository's build outputs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bare_host import WASIS, BareComponent

REPO = Path(__file__).resolve().parents[3]


def _path(variable: str, default: str) -> Path:
    return Path(os.environ.get(variable) or REPO / default).resolve()


WASM = _path("SIPTEL_SMS_WASM", "target/guest/wasm32-wasip2/guest/siptel_sms.wasm")
STUB_BIN = _path("SIPTEL_SMS_BIN", "target/debug/siptel-sms")
CASES = REPO / "tests" / "conformance" / "cases.json"


class Stub:
    """A running ``siptel-sms stub`` and its control API (``/_stub/*``)."""

    def __init__(self, timeout: float = 15.0) -> None:
        if not STUB_BIN.exists():
            raise RuntimeError(f"{STUB_BIN} is missing: run `cargo build -p siptel-sms-host` or set SIPTEL_SMS_BIN")
        # stderr to a file, stdout drained by a thread: a full pipe never blocks the stub.
        self.stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [str(STUB_BIN), "stub", "--port", "0"], stdout=subprocess.PIPE, stderr=self.stderr, text=True
        )
        found: list[str] = []
        listening = threading.Event()
        threading.Thread(target=self._read_stdout, args=(found, listening), daemon=True).start()
        if not listening.wait(timeout) or not found:
            self.stop()
            self.stderr.seek(0)
            why = self.stderr.read().decode("utf-8", "replace").strip() or "(nothing on stderr)"
            self.stderr.close()
            raise RuntimeError(f"the stub exited or did not print its URL within {timeout} s: {why}")
        #: ``http://127.0.0.1:PORT``, no trailing slash.
        self.url = found[0]

    def _read_stdout(self, found: list[str], listening: threading.Event) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            match = re.fullmatch(r"stub Siptel listening on (https?://\S+)", line.strip())
            if match and not found:
                found.append(match.group(1))
                listening.set()
        listening.set()  # the stub exited

    def _control(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("content-type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = response.read()
        return json.loads(answer) if answer.strip() else None

    def reset(self) -> None:
        """Forgets requests, script and sent SMS."""
        self._control("POST", "/_stub/reset")

    def script(self, entries: list[dict[str, Any]]) -> None:
        """Queues answers: ``{status, headers, body, delay_ms, cut_after}`` or ``{drop: true}``."""
        self._control("POST", "/_stub/script", entries)

    def requests(self) -> list[dict[str, Any]]:
        """Recorded requests: ``{method, path, headers, body, ...}``."""
        return self._control("GET", "/_stub/requests")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def stub_process() -> Iterator[Stub]:
    stub = Stub()
    yield stub
    stub.stop()
    stub.stderr.close()


@pytest.fixture
def stub(stub_process: Stub) -> Stub:
    """The session's stub, reset for this test."""
    stub_process.reset()
    return stub_process


@pytest.fixture(scope="session", params=WASIS)
def component(request: pytest.FixtureRequest) -> BareComponent:
    """The component with the Python WASI shim (``shim``) or wasmtime-py's
    own WASI (``wasmtime``): every test that takes it runs with both."""
    if not WASM.exists():
        raise RuntimeError(f"{WASM} is missing: run `cargo build -p siptel-sms-host` or set SIPTEL_SMS_WASM")
    return BareComponent(WASM, "siptel:sms/action", wasi=request.param)
