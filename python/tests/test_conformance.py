"""The conformance file (tests/conformance/cases.json) through the Python
package: one test per case, the logic of the Rust runner
(tests/conformance.rs) to the letter: the case's config merged over
``base-config`` (null removes a key), ``base-url`` and the host's Siptel
URL set to the stub, ``@repeat:<c>:<n>`` written out in the script, the
answer matched as a subset, then the request count and the last request.
The answer is the package's JSON (``SiptelSms.call_json``), and its typed
form (``model.outcome`` and friends) is built from it as the typed methods
do, so a case also checks that the dataclasses take it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import REPO, Stub

from siptel_sms import Invalid, OtherOutcome, Preview, SiptelSms, model

FILE = json.loads((REPO / "tests" / "conformance" / "cases.json").read_text())
CASES: list[dict[str, Any]] = FILE["cases"]


def test_the_file_kept_its_cases() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_conformance(case: dict[str, Any], action: SiptelSms, stub: Stub) -> None:
    if "script" in case:
        stub.script(expand(case["script"]))
    config = dict(FILE["base-config"])
    for key, value in (case.get("config") or {}).items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    config["base-url"] = stub.url
    body: dict[str, Any] = {"config": config}
    for part in ("entities", "at"):
        if part in case:
            body[part] = case[part]

    answer = action.call_json(case["export"], body, siptel_base_url=stub.url)

    typed(case["export"], answer)
    if isinstance(answer, list):
        answer = {"problems": answer}
    subset(case["expect"], answer, "answer")
    requests = stub.requests()
    if "requests" in case:
        assert len(requests) == case["requests"], f"{len(requests)} requests, expected {case['requests']}"
    if "last-request" in case:
        assert requests, "no request"
        subset(case["last-request"], requests[-1], "last-request")


def typed(export: str, answer: Any) -> None:
    """The answer as the typed methods give it, which must not lose its case."""
    if export == "send":
        outcome = model.outcome(answer)
        assert not isinstance(outcome, OtherOutcome), outcome
        assert type(outcome).__name__.lower() == answer["type"]
        if isinstance(outcome, Invalid):
            assert [p.field for p in outcome.problems] == [p["field"] for p in answer["problems"]]
    elif export == "preview" and isinstance(answer, dict):
        preview = Preview.from_json(answer)
        assert preview.window_open == (answer["window"]["type"] == "open")
    elif export == "check":
        assert [(p.field, p.code) for p in model.problems(answer)] == [(p["field"], p["code"]) for p in answer]


def subset(expected: Any, actual: Any, path: str) -> None:
    """Every key of ``expected`` is in ``actual`` with an equal value (objects
    recursively, lists item by item with the same length)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key, value in expected.items():
            subset(value, actual.get(key), f"{path}.{key}")
    elif isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for i, (want, got) in enumerate(zip(expected, actual)):
            subset(want, got, f"{path}[{i}]")
    else:
        # JSON equality: 1 and 1.0 are one number, true is no number.
        assert type(expected) is type(actual) or (
            isinstance(expected, (int, float))
            and isinstance(actual, (int, float))
            and not isinstance(expected, bool)
            and not isinstance(actual, bool)
        ), f"{path}: expected {expected!r}, got {actual!r}"
        assert expected == actual, f"{path}: expected {expected!r}, got {actual!r}"


def expand(value: Any) -> Any:
    """``@repeat:<c>:<n>`` strings written out."""
    if isinstance(value, str) and value.startswith("@repeat:"):
        unit, count = value[len("@repeat:") :].rsplit(":", 1)
        return unit * int(count)
    if isinstance(value, list):
        return [expand(item) for item in value]
    if isinstance(value, dict):
        return {key: expand(item) for key, item in value.items()}
    return value
