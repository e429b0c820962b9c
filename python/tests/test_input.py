"""Values in and out: bad input is an :class:`InputError` naming the field
and a code (never a crash, never a silently changed value), and answers the
package does not know yet still come through."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pytest
from conftest import ALL_WEEKDAYS, base_config

from siptel_sms import Case, Failed, InputError, OtherOutcome, Sent, SiptelSms
from siptel_sms.model import Preview, WindowOpen, outcome

URL = "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"api-key": 42}, "config.api-key", "wrong-type"),
        ({"api-key": None}, "config.api-key", "wrong-type"),
        ({"max-attempts": 2**32 + 1}, "config.max-attempts", "out-of-range"),  # ctypes would wrap it to 1
        ({"max-attempts": -1}, "config.max-attempts", "out-of-range"),
        ({"max-attempts": True}, "config.max-attempts", "wrong-type"),
        ({"max-attempts": 1.5}, "config.max-attempts", "wrong-type"),
        ({"deadline-ms": 2**32}, "config.deadline-ms", "out-of-range"),
        ({"language": "fr"}, "config.language", "unknown-case"),
        ({"encoding": 7}, "config.encoding", "wrong-type"),
        ({"weekdays": {"funday"}}, "config.weekdays", "unknown-case"),
        ({"weekdays": "monday"}, "config.weekdays", "wrong-type"),
        ({"weekdays": {"monday": "yes"}}, "config.weekdays.monday", "wrong-type"),
        ({"campaign-variables": "x=1"}, "config.campaign-variables", "wrong-type"),
        ({"campaign-variables": [{"name": "x"}]}, "config.campaign-variables[0].value", "missing-field"),
        ({"message": "Hola \ud800"}, "config.message", "bad-string"),
        ({"colour": "red"}, "config.colour", "unknown-field"),
        ({"base_url": URL}, "config.base-url", "duplicate-field"),
    ],
)
def test_bad_config_values_are_refused_with_field_and_code(
    action: SiptelSms, change: dict[str, object], field: str, code: str
) -> None:
    with pytest.raises(InputError) as raised:
        action.check({**base_config(URL), **change})
    assert (raised.value.field, raised.value.code) == (field, code), raised.value
    assert field in str(raised.value)


def test_a_missing_required_field_is_named(action: SiptelSms) -> None:
    config = base_config(URL)
    del config["sender"]
    with pytest.raises(InputError) as raised:
        action.check(config)
    assert (raised.value.field, raised.value.code) == ("config.sender", "missing-field")


@pytest.mark.parametrize("config", [None, "api-key=k", 42, ["api-key"]])
def test_a_config_that_is_no_record(action: SiptelSms, config: object) -> None:
    with pytest.raises(InputError) as raised:
        action.check(config)
    assert (raised.value.field, raised.value.code) == ("config", "wrong-type")


@pytest.mark.parametrize(
    ("entities", "field"),
    [
        ([{"name": "a", "value": 1}], "entities[0].value"),
        ([{"name": "a", "value": "x"}, {"value": "y"}], "entities[1].name"),
        ({"a": None}, "entities[0].value"),
        ("a=1", "entities"),
    ],
)
def test_bad_entities_are_refused(action: SiptelSms, entities: object, field: str) -> None:
    with pytest.raises(InputError) as raised:
        action.send(base_config(URL), entities)
    assert raised.value.field == field


def test_a_naive_datetime_is_refused(action: SiptelSms) -> None:
    with pytest.raises(InputError) as raised:
        action.preview(base_config(URL), at=datetime(2026, 9, 7, 10, 0))
    assert raised.value.field == "at"


def test_a_dataclass_config_and_flags_as_a_list(action: SiptelSms) -> None:
    @dataclass
    class MyConfig:
        api_key: str
        sender: str
        recipient: str
        message: str
        window_start: str
        window_end: str
        weekdays: list[str] = field(default_factory=lambda: sorted(ALL_WEEKDAYS))
        base_url: str = URL

    config = MyConfig("k-123", "56961234567", "56987654321", "Hola", "08:00", "20:00")
    assert action.check(config) == []


def test_strings_the_component_must_judge_reach_it_unchanged(action: SiptelSms) -> None:
    for text in ["\x00", "a\x1b[31mb", "\u202e", "\ufffd", "{{", "x" * 100_000, "🙂" * 2000]:
        problems = action.check(base_config(URL, message=text))
        assert problems and all(p.field == "message" for p in problems), (text[:10], problems)


def test_the_interpreter_keeps_working_after_bad_input(action: SiptelSms, stub: object) -> None:
    for bad in [{"max-attempts": 2**32}, {"message": "\udfff"}, {"weekdays": 1}]:
        with pytest.raises(InputError):
            action.send({**base_config(URL), **bad})
    url = stub.url  # type: ignore[attr-defined]
    assert isinstance(action.send(base_config(url)), Sent)


class TestTolerantAnswers:
    """What a newer component may answer: new fields, enum cases, outcome cases."""

    def test_new_fields_land_in_extra_and_new_codes_are_strings(self) -> None:
        answer = outcome(
            Case(
                "failed",
                {
                    "error-intent": "SMS_Failed",
                    "code": "carrier-rejected",
                    "description": "d",
                    "attempts": 1,
                    "last-status": None,
                    "carrier": "movistar",
                },
            )
        )
        assert answer == Failed("SMS_Failed", "carrier-rejected", "d", 1, None)
        assert isinstance(answer, Failed) and answer.extra == {"carrier": "movistar"}

    def test_a_field_the_component_stopped_sending_is_none(self) -> None:
        answer = outcome(Case("sent", {"id": "x", "status": "queued", "segments": 1, "attempts": 1}))
        assert isinstance(answer, Sent) and answer.idempotency_key is None

    def test_an_unknown_outcome_case(self) -> None:
        assert outcome(Case("queued", {"at": "later"})) == OtherOutcome("queued", {"at": "later"})

    def test_an_unknown_window_case_stays_a_case(self) -> None:
        preview = Preview.from_wit(
            {
                "sender": "1",
                "recipient": "2",
                "window": Case("paused", None),
                "campaign-variables": [],
                "replacements": [],
            }
        )
        assert preview.window == Case("paused", None)
        assert preview.window_open is False
        assert Preview.from_wit({"window": Case("open")}).window == WindowOpen()


class TestHostOptions:
    def test_a_per_call_siptel_url_must_be_http_or_https(self, action: SiptelSms) -> None:
        with pytest.raises(InputError) as raised:
            action.send(base_config(URL), siptel_base_url="ftp://127.0.0.1:21")
        assert raised.value.field == "siptel_base_url"

    @pytest.mark.parametrize(
        "options",
        [
            {"wasm": b"not a component"},
            {"wasm": "/nonexistent/siptel_sms.wasm"},
            {"siptel_base_url": "api.siptel.cl"},
            {"siptel_base_url": "https://user:pass@api.siptel.cl"},
            {"secrets": {"siptel": "two words"}},
        ],
    )
    def test_what_cannot_load_raises_load_error(self, options: dict[str, object]) -> None:
        from conftest import WASM

        from siptel_sms import LoadError

        arguments: dict[str, object] = {"wasm": WASM, **options}
        wasm = arguments.pop("wasm")
        with pytest.raises(LoadError):
            SiptelSms(wasm, **arguments)  # type: ignore[arg-type]
