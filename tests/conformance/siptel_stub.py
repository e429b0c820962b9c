"""The stub Siptel for the Python test suites and the bench: the Rust CLI's
``siptel-sms stub --port 0`` run as a child process, and its control API
(``/_stub/*``). Standard library only: python/tests (the package over the
Rust host), tests/portability/wasmtime-py (the bare component) and
python/benches/bench_send.py import it from tests/conformance.
"""

from __future__ import annotations

import json
import re
import ssl
import subprocess
import tempfile
import threading
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class Stub:
    """A running ``siptel-sms stub`` and its control API (``/_stub/*``).

    ``bin`` is the CLI; ``args`` are added to ``stub --port 0`` (e.g.
    ``--api-key``, ``--tls``); ``cafile`` is the certificate the control
    API is trusted with when the stub serves https.
    """

    def __init__(
        self,
        bin: Path | str,
        args: Sequence[str] = (),
        *,
        cafile: Path | str | None = None,
        timeout: float = 15.0,
    ) -> None:
        if not Path(bin).exists():
            raise RuntimeError(f"{bin} is missing: run `cargo build -p siptel-sms-host` or set SIPTEL_SMS_BIN")
        self.cafile = cafile
        # stderr to a file, stdout drained by a thread: a full pipe never blocks the stub.
        self.stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [str(bin), "stub", "--port", "0", *args], stdout=subprocess.PIPE, stderr=self.stderr, text=True
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
        #: ``http://127.0.0.1:PORT`` (or https), no trailing slash.
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
        context = None
        if self.url.startswith("https"):
            context = ssl.create_default_context(cafile=None if self.cafile is None else str(self.cafile))
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            answer = response.read()
        return json.loads(answer) if answer.strip() else None

    def requests(self) -> list[dict[str, Any]]:
        """Recorded requests: ``{method, path, headers, body, answered_status, received_ms}``."""
        return self._control("GET", "/_stub/requests")

    def sent(self) -> list[dict[str, Any]]:
        """SMS the stub accepted (one per idempotency key)."""
        return self._control("GET", "/_stub/sent")

    def script(self, entries: list[dict[str, Any]]) -> None:
        """Queues answers: ``{status, headers, body, delay_ms, cut_after}`` or ``{drop: true}``."""
        self._control("POST", "/_stub/script", entries)

    def configure(self, config: dict[str, Any]) -> None:
        """Replaces the stub's behaviour, e.g. ``{"balance": 0}``."""
        self._control("POST", "/_stub/config", config)

    def reset(self) -> None:
        """Forgets requests, script, keys and sent SMS."""
        self._control("POST", "/_stub/reset")

    def stop(self) -> None:
        """Stops the stub (terminated, killed after 10 s) and closes its pipes."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.stderr.close()
