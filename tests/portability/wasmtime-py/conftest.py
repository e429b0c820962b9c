"""The component loaded once per WASI implementation and the stub Siptel (the Rust CLI's
``siptel-sms stub --port 0``, a child process) for the session.

The stub (tests/conformance/siptel_stub.py) and the conformance runner are
shared with python/tests; pytest.ini puts tests/conformance on the path.
Paths come from the environment that scripts/test-portability-python.sh
sets, or default to the repository's build outputs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from siptel_stub import Stub

from bare_host import WASIS, BareComponent

REPO = Path(__file__).resolve().parents[3]


def _path(variable: str, default: str) -> Path:
    return Path(os.environ.get(variable) or REPO / default).resolve()


WASM = _path("SIPTEL_SMS_WASM", "target/guest/wasm32-wasip2/guest/siptel_sms.wasm")
STUB_BIN = _path("SIPTEL_SMS_BIN", "target/debug/siptel-sms")


@pytest.fixture(scope="session")
def stub_process() -> Iterator[Stub]:
    stub = Stub(STUB_BIN)
    yield stub
    stub.stop()


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
