"""The conformance file (tests/conformance/cases.json) through the Python
package: one test per case, run by tests/conformance/conformance_runner.py
(shared with tests/portability/wasmtime-py), the logic of the Rust runner
(tests/conformance.rs). The answer is the package's JSON
(``SiptelSms.call_json``), and its typed form (``model.outcome`` and
friends) is built from it as the typed methods do, so a case also checks
that the dataclasses take it."""

from __future__ import annotations

from typing import Any

import conformance_runner
import pytest
from conftest import Stub

from siptel_sms import Invalid, OtherOutcome, Preview, SiptelSms, model

CASES = conformance_runner.CASES


def test_the_file_kept_its_cases() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_conformance(case: dict[str, Any], action: SiptelSms, stub: Stub) -> None:
    def call(export: str, body: dict[str, Any]) -> Any:
        answer = action.call_json(export, body, siptel_base_url=stub.url)
        typed(export, answer)
        return {"problems": answer} if isinstance(answer, list) else answer

    conformance_runner.run(case, stub, call)


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
