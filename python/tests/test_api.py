"""The Pythonic API over the core: what the binding adds (values to JSON,
JSON to dataclasses, ``match`` on outcomes, options), not the action's
behaviour, which tests/conformance/cases.json pins for every path."""

from __future__ import annotations

import dataclasses
import os
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from conftest import ACTION_WASM, ALL_WEEKDAYS, STUB_CERT, STUB_KEY, Stub, base_config, crate_version

from siptel_sms import (
    Blocked,
    Failed,
    FieldKind,
    IntegerRange,
    Invalid,
    InvalidConfig,
    Localized,
    Problem,
    Sent,
    SiptelSms,
    WindowClosed,
    WindowOpen,
)

# 2026-09-07T13:00:00Z, a Monday: 10:00 in America/Santiago (UTC-3).
MONDAY_10_SANTIAGO = datetime(2026, 9, 7, 13, 0, tzinfo=timezone.utc)


def codes(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in problems]


class TestDescribe:
    def test_the_form_as_dataclasses(self, action: SiptelSms) -> None:
        form = action.describe()
        assert form.name == Localized(es="Siptel SMS", en="Siptel SMS")
        assert [f.id for f in form.fields][:3] == ["api-key", "sender", "recipient"]
        assert form.field("api-key").kind == FieldKind("secret")
        assert form.field("max-attempts").kind == FieldKind("integer", range=IntegerRange(min=1, max=10))
        assert form.field("language").kind == FieldKind("choice", choices=["es", "en"])
        assert form.field("max-attempts").default_value == "3"
        assert form.versions and form.versions["component"] == crate_version()
        with pytest.raises(KeyError):
            form.field("no-such-field")


class TestCheck:
    def test_a_valid_config_has_no_problems(self, action: SiptelSms, stub: Stub) -> None:
        assert action.check(base_config(stub.url)) == []

    def test_snake_case_keys_sets_dates_and_none_for_absent(self, action: SiptelSms, stub: Stub) -> None:
        config = {
            "api_key": "k",
            "sender": "56961234567",
            "recipient": "56987654321",
            "message": "Hola",
            "window_start": "09:00",
            "window_end": "18:00",
            "weekdays": frozenset({"monday", "friday"}),
            "closed_dates": [date(2026, 9, 18), "2026-09-19"],
            "campaign": None,
        }
        assert action.check(config) == []
        assert codes(action.check({**config, "closed_dates": ["2026-13-01"]})) == [("closed-dates", "invalid-date")]

    def test_every_problem_named_by_field(self, action: SiptelSms, stub: Stub) -> None:
        problems = action.check(base_config(stub.url, sender="12", window_start="25:00", language="en"))
        assert codes(problems) == [("sender", "wrong-length"), ("window-start", "invalid-time")]
        assert all(p.message for p in problems)


class TestPreview:
    def test_an_open_window_at_an_aware_datetime(self, action: SiptelSms, stub: Stub) -> None:
        config = base_config(stub.url, message="Hola {{nombre}}", time_zone="America/Santiago")
        preview = action.preview(config, {"nombre": "Ana"}, at=MONDAY_10_SANTIAGO)
        assert (preview.message, preview.encoding, preview.segments) == ("Hola Ana", "gsm7", 1)
        assert preview.window == WindowOpen() and preview.window_open

    @pytest.mark.parametrize(
        "at",
        [MONDAY_10_SANTIAGO, MONDAY_10_SANTIAGO.timestamp(), "2026-09-07T10:00:00-03:00"],
        ids=["datetime", "unix-seconds", "rfc-3339"],
    )
    def test_a_closed_window_carries_when_it_opens(self, action: SiptelSms, stub: Stub, at: object) -> None:
        config = base_config(stub.url, time_zone="America/Santiago", window_start="11:00", window_end="18:00")
        preview = action.preview(config, at=at)  # type: ignore[arg-type]
        match preview.window:
            case WindowClosed(blocked=Blocked(reason="outside-hours", next_allowed=when)):
                assert when == "2026-09-07T11:00:00-03:00"
            case other:
                pytest.fail(f"expected closed, got {other}")

    def test_problems_raise_invalid_config(self, action: SiptelSms, stub: Stub) -> None:
        with pytest.raises(InvalidConfig) as raised:
            action.preview(base_config(stub.url, recipient="{{phone}}"), {})
        assert codes(raised.value.problems) == [("recipient", "missing-variable")]


class TestSend:
    def test_sent_matches_and_the_request_on_the_wire(self, action: SiptelSms, stub: Stub) -> None:
        entities = [{"name": "phone", "value": "+56 9 8765 4321", "kind": "phone"}]
        match action.send(base_config(stub.url, recipient="{{phone}}"), entities):
            case Sent(id=siptel_id, attempts=1, idempotency_key=key):
                assert siptel_id.startswith("sms_")
            case other:
                pytest.fail(f"expected sent, got {other}")
        [request] = stub.requests()
        assert request["headers"]["authorization"] == f"Bearer {STUB_KEY}"
        assert request["headers"]["idempotency-key"] == key
        assert request["headers"]["user-agent"] == f"siptel-sms/{crate_version()}"
        assert request["body"]["recipient"] == "56987654321"

    def test_now_places_the_send_at_another_instant(self, action: SiptelSms, stub: Stub) -> None:
        sunday_noon = datetime(2026, 9, 6, 12, 0, tzinfo=timezone.utc)
        config = base_config(stub.url, time_zone="UTC", weekdays=ALL_WEEKDAYS - {"sunday"})
        outcome = action.send(config, now=sunday_noon)
        assert isinstance(outcome, Blocked) and outcome.reason == "weekday-disabled", outcome
        assert outcome.next_allowed == "2026-09-07T00:00:00+00:00"
        assert stub.requests() == []

    def test_failed_is_a_frozen_dataclass_with_every_field(self, action: SiptelSms, stub: Stub) -> None:
        stub.script([{"status": 402}])
        outcome = action.send(base_config(stub.url, error_intent="SMS_Failed"))
        assert outcome == Failed(
            error_intent="SMS_Failed",
            code="insufficient-balance",
            description=outcome.description,  # type: ignore[union-attr]
            attempts=1,
            last_status=402,
            idempotency_key=stub.requests()[0]["headers"]["idempotency-key"],
            possibly_sent=False,
        )
        with pytest.raises(dataclasses.FrozenInstanceError):
            outcome.code = "x"  # type: ignore[misc,union-attr]

    def test_invalid_after_rendering_sends_nothing(self, action: SiptelSms, stub: Stub) -> None:
        outcome = action.send(base_config(stub.url, recipient="{{phone}}"), {"phone": "22 123 4567"})
        assert isinstance(outcome, Invalid) and codes(outcome.problems) == [("recipient", "missing-country-code")]
        assert stub.requests() == []


class TestHostOptions:
    def test_tls_roots_pem_is_trusted(self) -> None:
        tls_stub = Stub(tls=True)
        try:
            with SiptelSms(siptel_base_url=tls_stub.url, tls_roots_pem=STUB_CERT.read_text()) as action:
                assert isinstance(action.send(base_config(tls_stub.url, max_attempts=1)), Sent)
            with SiptelSms(siptel_base_url=tls_stub.url) as untrusting:
                outcome = untrusting.send(base_config(tls_stub.url, max_attempts=1))
                assert isinstance(outcome, Failed) and outcome.code == "connection-failed", outcome
            assert len(tls_stub.requests()) == 1
        finally:
            tls_stub.stop()

    def test_a_per_call_siptel_base_url(self, action: SiptelSms, stub: Stub) -> None:
        gateway = f"{stub.url}/tenants/a"
        outcome = action.send(base_config(gateway, max_attempts=1), siptel_base_url=gateway)
        assert isinstance(outcome, Failed) and outcome.code != "request-denied", outcome
        assert [r["path"] for r in stub.requests()] == ["/tenants/a/v1/sms"]

    def test_a_relative_compile_cache_is_taken_from_the_working_directory(
        self, stub: Stub, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        cache = Path(os.environ["SIPTEL_SMS_CACHE_DIR"])
        monkeypatch.chdir(cache.parent)
        with SiptelSms(siptel_base_url=stub.url, compile_cache=cache.name) as action:
            assert action.check(base_config(stub.url)) == []

    def test_a_component_from_a_path_or_bytes(self, stub: Stub) -> None:
        with SiptelSms(ACTION_WASM, siptel_base_url=stub.url) as from_path:
            assert from_path.check(base_config(stub.url)) == []
        with SiptelSms(ACTION_WASM.read_bytes(), siptel_base_url=stub.url) as from_bytes:
            assert isinstance(from_bytes.send(base_config(stub.url)), Sent)
