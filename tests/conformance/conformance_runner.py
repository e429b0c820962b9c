"""The conformance file (tests/conformance/cases.json) for the Python test
suites: python/tests/test_conformance.py (the package over the Rust host) and
tests/portability/wasmtime-py/test_conformance.py (the bare component on
wasmtime-py). The logic of the Rust runner (tests/conformance.rs), read from
the file's ``about``: the case's ``script`` queued on the stub
(``@repeat:<c>:<n>`` written out), the config built from ``base-config``
with the case's ``config`` merged over it (null removes a key) and
``base-url`` set to the stub, ``export`` called with it (and ``entities``,
``at``), ``expect`` matched as a subset of the answer, then the stub's
request count and a subset of its last request.

Standard library only; each suite passes how it calls its path.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

PATH = Path(__file__).resolve().with_name("cases.json")
FILE: dict[str, Any] = json.loads(PATH.read_text())
BASE: dict[str, Any] = FILE["base-config"]
CASES: list[dict[str, Any]] = FILE["cases"]


class StubLike(Protocol):
    url: str

    def script(self, entries: list[dict[str, Any]]) -> None: ...

    def requests(self) -> list[dict[str, Any]]: ...


def run(case: dict[str, Any], stub: StubLike, call: Callable[[str, dict[str, Any]], Any]) -> None:
    """Runs ``case`` against ``stub`` (already reset): ``call(export, body)``
    answers as the file expects it (``check``: ``{"problems": [...]}``)."""
    if "script" in case:
        stub.script(expand(case["script"]))
    answer = call(case["export"], body(case, stub.url))
    subset(case["expect"], answer, "answer")
    requests = stub.requests()
    if "requests" in case:
        assert len(requests) == case["requests"], f"{len(requests)} requests, expected {case['requests']}"
    if "last-request" in case:
        assert requests, "no request"
        subset(case["last-request"], requests[-1], "last-request")


def body(case: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The call's body: ``config`` (``base-config`` with the case's ``config``
    merged over it, a null value removing the key, and ``base-url``), and the
    case's ``entities`` and ``at`` when it has them."""
    config = dict(BASE)
    for key, value in (case.get("config") or {}).items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    config["base-url"] = base_url
    answer: dict[str, Any] = {"config": config}
    for part in ("entities", "at"):
        if part in case:
            answer[part] = case[part]
    return answer


def subset(expected: Any, actual: Any, path: str, whole: Any = None) -> None:
    """Every key of ``expected`` is in ``actual`` with an equal value
    (objects recursively, lists item by item with the same length)."""
    if whole is None:
        whole = actual
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key, value in expected.items():
            subset(value, actual.get(key), f"{path}.{key}", whole)
    elif isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for i, (want, got) in enumerate(zip(expected, actual)):
            subset(want, got, f"{path}[{i}]", whole)
    elif not equal(expected, actual):
        raise AssertionError(
            f"{path}: expected {json.dumps(expected)}, got {json.dumps(actual)}\n  in {json.dumps(whole)}"
        )


def equal(expected: Any, actual: Any) -> bool:
    """JSON equality as serde_json's: 1 and 1.0 are one number, ``true`` is not ``1``."""
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
        unit, count = value.removeprefix("@repeat:").rsplit(":", 1)
        return unit * int(count)
    if isinstance(value, list):
        return [expand(item) for item in value]
    if isinstance(value, dict):
        return {key: expand(item) for key, item in value.items()}
    return value
