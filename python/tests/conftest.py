"""Shared set-up of the Python tests: the stub Siptel (the Rust CLI
``siptel-sms stub``, run as a separate process, as the Node tests do), the
package's embedded component loaded once, and a baseline config that is
valid at any instant.

The package under test is the installed one (scripts/test-python.sh installs
``./python`` into target/python-venv and runs pytest with ``-P``, so
``python/siptel_sms`` without its native extension is never imported).
Paths come from the environment that the script sets, or default to the
repository's build outputs.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

# The stub and the conformance runner shared with tests/portability/wasmtime-py
# (stdlib only). pytest runs with -P, so the folder is put on the path here.
sys.path.insert(0, str(REPO / "tests" / "conformance"))
import siptel_stub  # noqa: E402

# Compiled code of the component, shared by every test and test process, so
# only the first load of a build compiles it (seconds on a debug build).
os.environ.setdefault("SIPTEL_SMS_CACHE_DIR", str(REPO / "target" / "siptel-sms-cache"))

from siptel_sms import SiptelSms  # noqa: E402


def _path(variable: str, default: str) -> Path:
    return Path(os.environ.get(variable) or REPO / default).resolve()


#: The action as build.rs left it (the package embeds the same bytes).
ACTION_WASM = _path("SIPTEL_SMS_WASM", "target/guest/wasm32-wasip2/guest/siptel_sms.wasm")
STUB_BIN = _path("SIPTEL_SMS_BIN", "target/debug/siptel-sms")
PROBE_WASM = _path("SIPTEL_SMS_PROBE_WASM", "target/test-components/wasm32-wasip2/release/sandbox_probe.wasm")
STUB_CERT = REPO / "stub" / "tls" / "cert.pem"

#: The API key the stub accepts (``--api-key``).
STUB_KEY = "test-key"

ALL_WEEKDAYS = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})


class Stub(siptel_stub.Stub):
    """A running ``siptel-sms stub`` (``--api-key`` :data:`STUB_KEY`, https
    with ``tls``) and its control API (``/_stub/*``)."""

    def __init__(self, tls: bool = False, timeout: float = 15.0) -> None:
        args = ["--api-key", STUB_KEY] + (["--tls"] if tls else [])
        super().__init__(STUB_BIN, args, cafile=STUB_CERT, timeout=timeout)

    def configure(self, config: dict[str, Any]) -> None:
        """Replaces the stub's behaviour, e.g. ``{"balance": 0}``."""
        super().configure({"api_key": STUB_KEY, **config})

    def reset(self) -> None:
        """Forgets requests, script, keys and sent SMS; restores the config."""
        super().reset()
        self.configure({})


def base_config(base_url: str, **changes: Any) -> dict[str, Any]:
    """A valid message config aimed at ``base_url`` whose window is always
    open, with ``changes`` (snake_case names) applied."""
    config: dict[str, Any] = {
        "api-key": STUB_KEY,
        "sender": "56961234567",
        "recipient": "56987654321",
        "message": "Hola Ana, su hora es el lunes 10:30.",
        "window-start": "00:00:00",
        "window-end": "23:59:59",
        # Open on holidays too, so the tests pass on any day of the year.
        "send-on-holidays": True,
        "weekdays": set(ALL_WEEKDAYS),
        "base-url": base_url,
        # Short waits keep retry tests fast.
        "deadline-ms": 10_000,
    }
    config.update({name.replace("_", "-"): value for name, value in changes.items()})
    return config


def crate_version() -> str:
    """``[workspace.package] version`` of Cargo.toml, as in the User-Agent."""
    toml = (REPO / "Cargo.toml").read_text()
    section = toml.split("[workspace.package]", 1)[1].split("\n[", 1)[0]
    match = re.search(r'^version\s*=\s*"([^"]+)"', section, re.M)
    assert match, "no [workspace.package] version in Cargo.toml"
    return match.group(1)


@pytest.fixture(scope="session")
def stub_process() -> Iterator[Stub]:
    stub = Stub()
    yield stub
    stub.stop()


@pytest.fixture
def stub(stub_process: Stub) -> Stub:
    """The session's stub, reset for this test."""
    stub_process.reset()
    return stub_process


@pytest.fixture(scope="session")
def action(stub_process: Stub) -> Iterator[SiptelSms]:
    """The embedded component, allowed to reach the session's stub only."""
    with SiptelSms(siptel_base_url=stub_process.url) as loaded:
        yield loaded
