"""tests/conformance/cases.json through the bare component on wasmtime-py:
a port of the Rust runner (tests/conformance.rs), one test per case and
WASI implementation (``test_case[shim-<name>]``, ``test_case[wasmtime-<name>]``).

For each case: reset the stub, queue the case's ``script`` (``@repeat``
strings written out), build the config from ``base-config`` with the case's
``config`` merged over it (a null value removes the key) and ``base-url``
set to the stub, call ``export``, and match ``expect`` as a subset of the
answer, then the stub's request count and a subset of its last request.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bare_host import BareComponent, wire
from conftest import CASES, Stub

FILE = json.loads(CASES.read_text())
BASE: dict[str, Any] = FILE["base-config"]
BY_NAME: dict[str, dict[str, Any]] = {case["name"]: case for case in FILE["cases"]}

#: Cases a WASI implementation cannot run, by (wasi, name), with the reason
#: (none today). A skipped case is reported by pytest (``-ra``), never
#: dropped silently.
SKIPS: dict[tuple[str, str], str] = {}


def test_the_file_has_its_cases() -> None:
    assert len(FILE["cases"]) >= 15, "the file lost its cases"
    assert len(BY_NAME) == len(FILE["cases"]), "two cases share a name"


@pytest.mark.parametrize("name", list(BY_NAME))
def test_case(name: str, stub: Stub, component: BareComponent) -> None:
    if (component.wasi, name) in SKIPS:
        pytest.skip(SKIPS[component.wasi, name])
    case = BY_NAME[name]
    if "script" in case:
        stub.script(expand(case["script"]))
    config = dict(BASE)
    for key, value in case.get("config", {}).items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    config["base-url"] = stub.url
    body: dict[str, Any] = {"config": config}
    for part in ("entities", "at"):
        if part in case:
            body[part] = case[part]
    answer = wire.call(component, case["export"], body)
    subset(case["expect"], answer, "answer", whole=answer)
    requests = stub.requests()
    if "requests" in case:
        assert len(requests) == case["requests"], f"{len(requests)} requests, expected {case['requests']}"
    if "last-request" in case:
        assert requests, "no request"
        subset(case["last-request"], requests[-1], "last-request", whole=requests[-1])


def subset(expected: Any, actual: Any, path: str, whole: Any) -> None:
    """Every key of ``expected`` is in ``actual`` with an equal value
    (objects recursively, lists item by item with the same length)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key, value in expected.items():
            subset(value, actual.get(key), f"{path}.{key}", whole)
    elif isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for i, (want, got) in enumerate(zip(expected, actual)):
            subset(want, got, f"{path}[{i}]", whole)
    elif not _equal(expected, actual):
        raise AssertionError(
            f"{path}: expected {json.dumps(expected)}, got {json.dumps(actual)}\n  in {json.dumps(whole)}"
        )


def _equal(expected: Any, actual: Any) -> bool:
    """JSON equality as serde_json's: ``true`` is not ``1``."""
    return type(expected) is type(actual) and expected == actual or (
        isinstance(expected, (int, float))
        and isinstance(actual, (int, float))
        and not isinstance(expected, bool)
        and not isinstance(actual, bool)
        and expected == actual
    )


def expand(value: Any) -> Any:
    """``@repeat:<c>:<n>`` strings written out."""
    if isinstance(value, str) and value.startswith("@repeat:"):
        unit, _, count = value.removeprefix("@repeat:").rpartition(":")
        return unit * int(count)
    if isinstance(value, list):
        return [expand(item) for item in value]
    if isinstance(value, dict):
        return {key: expand(item) for key, item in value.items()}
    return value
