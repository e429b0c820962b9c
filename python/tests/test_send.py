"""``send`` against the stub Siptel: every outcome, the request on the wire,
retries with one idempotency key, timeouts, and the error intent."""

from __future__ import annotations

import socket
import time
from datetime import datetime, timedelta, timezone

import pytest
from conftest import ALL_WEEKDAYS, STUB_CERT, STUB_KEY, Stub, base_config, crate_version

from siptel_sms import Blocked, Failed, Invalid, Limits, Sent, SiptelSms

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TestSent:
    def test_sent_and_the_request_on_the_wire(self, action: SiptelSms, stub: Stub) -> None:
        config = base_config(stub.url, message="Hola {{ nombre }}", recipient="{{phone}}", rut="12.345.678-5")
        entities = [{"name": "nombre", "value": "Ana"}, {"name": "phone", "value": "+56 9 8765 4321", "kind": "phone"}]
        outcome = action.send(config, entities)
        assert isinstance(outcome, Sent), outcome
        assert outcome.id.startswith("sms_")
        assert (outcome.status, outcome.segments, outcome.attempts) == ("queued", 1, 1)
        assert outcome.campaign is None
        [request] = stub.requests()
        assert (request["method"], request["path"], request["answered_status"]) == ("POST", "/v1/sms", 201)
        headers = request["headers"]
        assert headers["authorization"] == f"Bearer {STUB_KEY}"
        assert headers["idempotency-key"] == outcome.idempotency_key
        assert headers["content-type"] == "application/json; charset=utf-8"
        assert headers["user-agent"] == f"siptel-sms/{crate_version()}"
        assert headers["x-siptel-rut"] == "12345678-5"
        assert request["body"] == {
            "sender": "56961234567",
            "recipient": "56987654321",
            "message": "Hola Ana",
            "encoding": "gsm7",
        }

    def test_a_campaign_send(self, action: SiptelSms, stub: Stub) -> None:
        config = base_config(
            stub.url, message=None, campaign="bienvenida", campaign_variables=[{"name": "name", "value": "Ana"}]
        )
        outcome = action.send(config, {})
        assert isinstance(outcome, Sent), outcome
        assert outcome.campaign == "bienvenida"
        [request] = stub.requests()
        assert request["path"] == "/v1/campaigns/bienvenida/sms"

    def test_a_given_idempotency_key_is_used(self, action: SiptelSms, stub: Stub) -> None:
        outcome = action.send(base_config(stub.url, idempotency_key="order-1234-sms"))
        assert isinstance(outcome, Sent) and outcome.idempotency_key == "order-1234-sms"
        again = action.send(base_config(stub.url, idempotency_key="order-1234-sms"))
        assert isinstance(again, Sent) and again.id == outcome.id
        assert [r["answered_status"] for r in stub.requests()] == [201, 200]
        assert len(stub.sent()) == 1

    def test_sequential_sends_reuse_one_kept_connection(self, action: SiptelSms, stub: Stub) -> None:
        pool = action._sandbox.pool  # type: ignore[attr-defined]
        kept = lambda: list(pool._idle.get(action._sandbox.scope.authority, []))  # type: ignore[attr-defined]  # noqa: E731
        assert isinstance(action.send(base_config(stub.url)), Sent)
        before = kept()
        for _ in range(3):
            assert isinstance(action.send(base_config(stub.url)), Sent)
        assert kept() == before


class TestInvalid:
    def test_invalid_after_rendering_sends_nothing(self, action: SiptelSms, stub: Stub) -> None:
        config = base_config(stub.url, recipient="{{phone}}", message="Hola {{nombre}}")
        outcome = action.send(config, {"phone": "22 123 4567", "nombre": "Ana"})
        assert isinstance(outcome, Invalid), outcome
        assert [(p.field, p.code) for p in outcome.problems] == [("recipient", "missing-country-code")]
        assert outcome.problems[0].message
        assert stub.requests() == []


class TestBlocked:
    def test_outside_hours_at_a_chosen_instant(self, action: SiptelSms, stub: Stub) -> None:
        config = base_config(stub.url, time_zone="America/Santiago", window_start="11:00", window_end="18:00")
        monday_10 = datetime(2026, 9, 7, 13, 0, tzinfo=timezone.utc)
        outcome = action.send(config, now=monday_10)
        assert isinstance(outcome, Blocked), outcome
        assert outcome.reason == "outside-hours"
        assert outcome.next_allowed == "2026-09-07T11:00:00-03:00"
        assert 3595 <= outcome.wait_seconds <= 3600
        assert outcome.description
        assert stub.requests() == []

    def test_outside_hours_now(self, action: SiptelSms, stub: Stub) -> None:
        # Opens in two hours, for an hour (overnight when that crosses midnight).
        now = datetime.now(timezone.utc)
        opens, closes = now + timedelta(hours=2), now + timedelta(hours=3)
        config = base_config(
            stub.url, time_zone="UTC", window_start=opens.strftime("%H:%M:%S"), window_end=closes.strftime("%H:%M:%S")
        )
        outcome = action.send(config)
        assert isinstance(outcome, Blocked), outcome
        assert outcome.next_allowed == opens.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        assert 7190 < outcome.wait_seconds <= 7200
        assert stub.requests() == []

    def test_weekday_disabled(self, action: SiptelSms, stub: Stub) -> None:
        sunday_noon = datetime(2026, 9, 6, 12, 0, tzinfo=timezone.utc)
        config = base_config(stub.url, time_zone="UTC", weekdays=ALL_WEEKDAYS - {"sunday"}, language="en")
        outcome = action.send(config, now=sunday_noon)
        assert isinstance(outcome, Blocked), outcome
        assert outcome.reason == "weekday-disabled"
        assert outcome.next_allowed == "2026-09-07T00:00:00+00:00"
        assert 43195 <= outcome.wait_seconds <= 43200
        assert stub.requests() == []


class TestFailed:
    def test_503_on_every_attempt_reaches_the_error_intent_with_one_key(self, action: SiptelSms, stub: Stub) -> None:
        stub.script([{"status": 503}, {"status": 503}])
        outcome = action.send(base_config(stub.url, max_attempts=2, error_intent="SMS_Failed"))
        assert isinstance(outcome, Failed), outcome
        assert (outcome.error_intent, outcome.code, outcome.attempts, outcome.last_status) == (
            "SMS_Failed",
            "server-error",
            2,
            503,
        )
        assert outcome.description
        requests = stub.requests()
        assert [r["answered_status"] for r in requests] == [503, 503]
        assert len({r["headers"]["idempotency-key"] for r in requests}) == 1

    def test_503_503_then_success_shares_one_key(self, action: SiptelSms, stub: Stub) -> None:
        stub.script([{"status": 503}, {"status": 503}])
        outcome = action.send(base_config(stub.url, max_attempts=3))
        assert isinstance(outcome, Sent), outcome
        assert outcome.attempts == 3
        requests = stub.requests()
        assert [(r["answered_status"], r["headers"]["idempotency-key"]) for r in requests] == [
            (503, outcome.idempotency_key),
            (503, outcome.idempotency_key),
            (201, outcome.idempotency_key),
        ]
        assert len(stub.sent()) == 1

    def test_insufficient_balance_is_not_retried(self, action: SiptelSms, stub: Stub) -> None:
        stub.configure({"balance": 0})
        outcome = action.send(base_config(stub.url, error_intent="SMS_Failed", language="en"))
        assert isinstance(outcome, Failed), outcome
        assert outcome == Failed(
            error_intent="SMS_Failed",
            code="insufficient-balance",
            description=outcome.description,
            attempts=1,
            last_status=402,
            idempotency_key=stub.requests()[0]["headers"]["idempotency-key"],
            possibly_sent=False,
        )
        assert "balance" in outcome.description.lower()
        assert len(stub.requests()) == 1

    def test_a_wrong_api_key(self, action: SiptelSms, stub: Stub) -> None:
        outcome = action.send(base_config(stub.url, api_key="wrong-key"))
        assert isinstance(outcome, Failed) and outcome.code == "invalid-api-key"
        assert "wrong-key" not in outcome.description

    def test_429_with_retry_after_zero_on_every_attempt(self, action: SiptelSms, stub: Stub) -> None:
        stub.script([{"status": 429, "headers": {"retry-after": 0}}] * 2)
        outcome = action.send(base_config(stub.url, max_attempts=2))
        assert isinstance(outcome, Failed), outcome
        assert (outcome.code, outcome.last_status, outcome.attempts) == ("rate-limited", 429, 2)

    def test_a_slow_answer_times_out_after_the_attempt_timeout(self, action: SiptelSms, stub: Stub) -> None:
        stub.script([{"status": 201, "delay_ms": 3000}])
        started = time.monotonic()
        outcome = action.send(base_config(stub.url, max_attempts=1, attempt_timeout_ms=300))
        elapsed = time.monotonic() - started
        assert isinstance(outcome, Failed), outcome
        assert (outcome.code, outcome.last_status) == ("timeout", None)
        assert 0.29 <= elapsed < 2.0, elapsed

    def test_a_timed_out_attempt_is_retried(self, action: SiptelSms, stub: Stub) -> None:
        stub.script([{"status": 503, "delay_ms": 3000}])
        outcome = action.send(base_config(stub.url, max_attempts=2, attempt_timeout_ms=300))
        assert isinstance(outcome, Sent) and outcome.attempts == 2, outcome

    def test_the_deadline_cuts_a_slow_attempt_short(self, action: SiptelSms, stub: Stub) -> None:
        stub.script([{"status": 503, "delay_ms": 3000}])
        started = time.monotonic()
        outcome = action.send(base_config(stub.url, max_attempts=3, deadline_ms=400))
        assert isinstance(outcome, Failed) and outcome.code == "deadline-exceeded", outcome
        assert time.monotonic() - started < 2.0

    def test_a_dropped_connection_is_retried(self, action: SiptelSms, stub: Stub) -> None:
        stub.script([{"drop": True}])
        outcome = action.send(base_config(stub.url, max_attempts=2))
        assert isinstance(outcome, Sent) and outcome.attempts == 2, outcome

    def test_nothing_listening_is_connection_failed(self, action: SiptelSms, stub: Stub) -> None:
        url = f"http://127.0.0.1:{closed_port()}"
        outcome = action.send(base_config(url, max_attempts=1), siptel_base_url=url)
        assert isinstance(outcome, Failed), outcome
        assert (outcome.code, outcome.last_status) == ("connection-failed", None)

    def test_an_answer_over_64_kib_is_malformed(self, action: SiptelSms, stub: Stub) -> None:
        stub.script([{"status": 201, "body": "x" * 200_000}])
        outcome = action.send(base_config(stub.url, max_attempts=1))
        assert isinstance(outcome, Failed), outcome
        assert (outcome.code, outcome.last_status) == ("malformed-response", 201)


class TestHttps:
    def test_sends_over_tls_to_a_stub_whose_certificate_the_host_trusts(self) -> None:
        tls_stub = Stub(tls=True)
        try:
            assert tls_stub.url.startswith("https://")
            from conftest import WASM

            with SiptelSms(WASM, siptel_base_url=tls_stub.url, tls_roots_pem=STUB_CERT.read_text()) as action:
                outcome = action.send(base_config(tls_stub.url, max_attempts=1))
            assert isinstance(outcome, Sent), outcome
            assert len(tls_stub.requests()) == 1
        finally:
            tls_stub.stop()

    def test_an_untrusted_certificate_fails_the_connection(self) -> None:
        tls_stub = Stub(tls=True)
        try:
            from conftest import WASM

            with SiptelSms(WASM, siptel_base_url=tls_stub.url, limits=Limits()) as action:
                outcome = action.send(base_config(tls_stub.url, max_attempts=1))
            assert isinstance(outcome, Failed) and outcome.code == "connection-failed", outcome
            assert tls_stub.requests() == []
        finally:
            tls_stub.stop()


class TestPossiblySent:
    """A send that may have reached Siptel is never described as not sent."""

    def test_a_refusal_says_nothing_was_sent(self, action: SiptelSms, stub: Stub) -> None:
        stub.script([{"status": 503}])
        outcome = action.send(base_config(stub.url, max_attempts=1))
        assert isinstance(outcome, Failed) and outcome.code == "server-error", outcome
        assert outcome.possibly_sent is False
        assert outcome.idempotency_key == stub.requests()[0]["headers"]["idempotency-key"]

    @pytest.mark.parametrize(
        ("answer", "attempt_timeout_ms"),
        [({"status": 201, "cut_after": 12}, 10_000), ({"status": 201, "stall_after": 12}, 300)],
    )
    def test_a_201_cut_off_or_stalled_for_good_is_unconfirmed(
        self, action: SiptelSms, stub: Stub, answer: dict[str, object], attempt_timeout_ms: int
    ) -> None:
        stub.script([answer, answer])
        config = base_config(stub.url, max_attempts=2, attempt_timeout_ms=attempt_timeout_ms)
        outcome = action.send(config)
        assert isinstance(outcome, Failed), outcome
        assert (outcome.code, outcome.attempts, outcome.last_status) == ("unconfirmed", 2, 201)
        assert outcome.possibly_sent is True
        keys = {r["headers"]["idempotency-key"] for r in stub.requests()}
        assert keys == {outcome.idempotency_key}
        assert outcome.idempotency_key in outcome.description

    def test_re_running_with_the_key_sends_at_most_one_sms(self, action: SiptelSms, stub: Stub) -> None:
        stub.script([{"status": 201, "cut_after": 12}])
        first = action.send(base_config(stub.url, max_attempts=1))
        assert isinstance(first, Failed) and first.possibly_sent, first
        again = action.send(base_config(stub.url, idempotency_key=first.idempotency_key))
        assert isinstance(again, Sent) and again.idempotency_key == first.idempotency_key, again
        assert len(stub.sent()) == 1


class TestGateway:
    def test_a_base_url_with_a_path_prefix_is_reached_under_it(self, action: SiptelSms, stub: Stub) -> None:
        # The stub serves /v1/sms only: behind a gateway path it answers 404,
        # which shows the request went out under the prefix.
        gateway = f"{stub.url}/tenants/a"
        outcome = action.send(base_config(gateway, max_attempts=1), siptel_base_url=gateway)
        assert isinstance(outcome, Failed) and outcome.code != "request-denied", outcome
        assert [r["path"] for r in stub.requests()] == ["/tenants/a/v1/sms"]

    def test_a_config_outside_the_hosts_path_prefix_is_denied(self, action: SiptelSms, stub: Stub) -> None:
        outcome = action.send(base_config(f"{stub.url}/tenants/b"), siptel_base_url=f"{stub.url}/tenants/a")
        assert isinstance(outcome, Failed) and outcome.code == "request-denied", outcome
        assert stub.requests() == []
