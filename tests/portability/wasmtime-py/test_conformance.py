"""tests/conformance/cases.json through the bare component on wasmtime-py:
a port of the Rust runner (tests/conformance.rs), one test per case and
WASI implementation (``test_case[shim-<name>]``, ``test_case[wasmtime-<name>]``).

For each case (tests/conformance/conformance_runner.py, shared with
python/tests): reset the stub, queue the case's ``script`` (``@repeat``
strings written out), build the config from ``base-config`` with the case's
``config`` merged over it (a null value removes the key) and ``base-url``
set to the stub, call ``export``, and match ``expect`` as a subset of the
answer, then the stub's request count and a subset of its last request.
"""

from __future__ import annotations

from typing import Any

import conformance_runner
import pytest

from bare_host import BareComponent, wire
from conftest import Stub

BY_NAME: dict[str, dict[str, Any]] = {case["name"]: case for case in conformance_runner.CASES}

#: Cases a WASI implementation cannot run, by (wasi, name), with the reason
#: (none today). A skipped case is reported by pytest (``-ra``), never
#: dropped silently.
SKIPS: dict[tuple[str, str], str] = {}


def test_the_file_has_its_cases() -> None:
    assert len(conformance_runner.CASES) >= 15, "the file lost its cases"
    assert len(BY_NAME) == len(conformance_runner.CASES), "two cases share a name"


@pytest.mark.parametrize("name", list(BY_NAME))
def test_case(name: str, stub: Stub, component: BareComponent) -> None:
    if (component.wasi, name) in SKIPS:
        pytest.skip(SKIPS[component.wasi, name])
    conformance_runner.run(BY_NAME[name], stub, lambda export, body: wire.call(component, export, body))
