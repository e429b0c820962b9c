"""examples/python/embed.py runs against a stub and sends."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO, WASM, Stub


def test_the_example_sends_through_the_stub(stub: Stub) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "examples" / "python" / "embed.py"), stub.url],
        capture_output=True,
        text=True,
        timeout=120,
        env={"SIPTEL_SMS_WASM": str(WASM), "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert "send -> Sent" in done.stdout
    assert "window open" in done.stdout
    assert "sender: wrong-length" in done.stdout
    assert len(stub.requests()) == 1
