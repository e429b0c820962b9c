"""What issue 21 asks of every language path, through the Python package:
tenants cannot use each other's secrets, huge input is a bounded refusal
that leaves the next tenant's call working, a config cannot send to another
host, and the API key shows nowhere. The rules are the core's (tests/sandbox.rs
tests them in depth); these show they hold through the binding."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest
from conftest import Stub, base_config

from siptel_sms import Failed, Invalid, InputError, LoadError, Sent, SiptelSms

KEY_A = "KEY-A-7f3e91d2"
KEY_B = "KEY-B-0c44d2aa"


@pytest.fixture(scope="module")
def tenants(stub_process: Stub) -> Iterator[SiptelSms]:
    """The component holding two tenants' keys."""
    with SiptelSms(siptel_base_url=stub_process.url, secrets={"tenant_a": KEY_A, "tenant_b": KEY_B}) as loaded:
        yield loaded


def codes(outcome: object) -> list[tuple[str, str]]:
    assert isinstance(outcome, Invalid), outcome
    return [(p.field, p.code) for p in outcome.problems]


class TestTenantSecrets:
    def test_tenant_a_cannot_use_tenant_bs_secret(self, tenants: SiptelSms, stub: Stub) -> None:
        stub.configure({"api_key": KEY_A})
        refused = tenants.send(base_config(stub.url, api_key="secret:tenant_b"), secrets={"tenant_a"}, tenant="a")
        assert codes(refused)[0] == ("api-key", "not-allowed")
        assert stub.requests() == []
        # Named through a flow variable: the same.
        refused = tenants.send(base_config(stub.url, api_key="{{k}}"), {"k": "secret:tenant_b"}, secrets={"tenant_a"})
        assert codes(refused)[0] == ("api-key", "not-allowed")
        assert stub.requests() == []
        # A's own name, granted to A, goes out as A's key.
        sent = tenants.send(base_config(stub.url, api_key="secret:tenant_a"), secrets={"tenant_a"}, tenant="a")
        assert isinstance(sent, Sent), sent
        [request] = stub.requests()
        assert request["headers"]["authorization"] == f"Bearer {KEY_A}"

    def test_each_call_is_granted_its_own_tenants_secret_only(self, tenants: SiptelSms, stub: Stub) -> None:
        stub.configure({"api_key": KEY_B})
        assert isinstance(tenants.send(base_config(stub.url, api_key="secret:tenant_b"), secrets={"tenant_b"}), Sent)
        # The grant is per call: B's grant did not stay behind for A.
        refused = tenants.send(base_config(stub.url, api_key="secret:tenant_b"), secrets={"tenant_a"})
        assert codes(refused)[0] == ("api-key", "not-allowed")
        assert codes(tenants.send(base_config(stub.url, api_key="secret:tenant_b")))[0] == ("api-key", "not-allowed")
        assert tenants.check(base_config(stub.url, api_key="secret:tenant_b"), secrets={"tenant_a"})[0].code == (
            "not-allowed"
        )
        assert len(stub.requests()) == 1


class TestBoundedInput:
    def test_a_million_closed_dates_is_too_many_and_the_next_tenant_is_served(
        self, tenants: SiptelSms, stub: Stub
    ) -> None:
        huge = base_config(stub.url, closed_dates=["2026-09-18"] * 1_000_000)
        started = time.monotonic()
        outcome = tenants.send(huge, tenant="a")
        assert ("closed-dates", "too-many") in codes(outcome)
        assert time.monotonic() - started < 30
        assert stub.requests() == []
        assert isinstance(tenants.send(base_config(stub.url), tenant="b"), Sent)

    def test_a_100_mb_entity_is_too_long_and_the_next_tenant_is_served(self, tenants: SiptelSms, stub: Stub) -> None:
        entity = "x" * 100_000_000
        outcome = tenants.send(base_config(stub.url, message="Hola {{name}}"), {"name": entity}, tenant="a")
        assert ("message", "too-long") in codes(outcome), outcome
        assert entity[:1000] not in repr(outcome)
        assert stub.requests() == []
        assert isinstance(tenants.send(base_config(stub.url), tenant="b"), Sent)


class TestEgress:
    def test_a_config_base_url_naming_another_host_sends_nothing(
        self, tenants: SiptelSms, stub: Stub, caplog: pytest.LogCaptureFixture
    ) -> None:
        with socket.socket() as elsewhere, caplog.at_level(logging.WARNING, "siptel_sms.egress"):
            elsewhere.bind(("127.0.0.1", 0))
            elsewhere.listen()
            elsewhere.setblocking(False)
            other = f"http://127.0.0.1:{elsewhere.getsockname()[1]}"
            outcome = tenants.send(base_config(other, max_attempts=1))
            assert isinstance(outcome, Failed) and outcome.code == "request-denied", outcome
            assert outcome.possibly_sent is False
            with pytest.raises(BlockingIOError):
                elsewhere.accept()  # no connection ever arrived
        # The core's account of the refusal reaches the host's log.
        assert [r.message for r in caplog.records if other in r.message], caplog.text
        assert stub.requests() == []

    def test_the_host_url_is_the_only_one_even_with_a_secret(self, tenants: SiptelSms, stub: Stub) -> None:
        outcome = tenants.send(
            base_config("http://127.0.0.1:9", api_key="secret:tenant_a", max_attempts=1), secrets={"tenant_a"}
        )
        assert isinstance(outcome, Failed) and outcome.code == "request-denied", outcome
        assert stub.requests() == []


class TestTheKeyShowsNowhere:
    def test_not_in_reprs_outcomes_or_errors(self, tenants: SiptelSms, stub: Stub) -> None:
        seen: list[str] = [repr(tenants), str(tenants)]
        stub.configure({"api_key": "some-other-key"})
        for config in [
            base_config(stub.url, api_key=KEY_A),  # literal, refused by Siptel
            base_config(stub.url, api_key="secret:tenant_a"),  # by name
        ]:
            seen.append(repr(tenants.send(config, secrets={"tenant_a"})))
            seen.append(repr(tenants.check(config, secrets={"tenant_a"})))
            seen.append(repr(tenants.preview(config, secrets={"tenant_a"})))
            with pytest.raises(InputError) as bad:
                tenants.send({**config, "max-attempts": "three"}, secrets={"tenant_a"})
            seen += [repr(bad.value), str(bad.value), repr(bad.value.problems)]
        with pytest.raises(LoadError) as failed:
            SiptelSms(secrets={"tenant_a": KEY_A, "bad": f"{KEY_B} "})
        seen += [repr(failed.value), str(failed.value)]
        for text in seen:
            assert KEY_A not in text and KEY_B not in text, text
