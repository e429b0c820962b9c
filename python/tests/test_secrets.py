"""Secrets belong to a tenant: the host holds keys by name, each call names
those it may use, a config naming another is refused before the guest runs
(with the config's other problems, in the Rust host's words), and the egress
policy refuses it again as a second line. Mirrors tests/sandbox.rs."""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PROBE_WASM, STUB_BIN, WASM, Stub, base_config

from siptel_sms import Failed, Invalid, InvalidConfig, Limits, Sent, SiptelSms

KEY_A = "KEY-A-7f3e91"
KEY_B = "KEY-B-0c44d2"
KEYS = {"tenant_a": KEY_A, "tenant_b": KEY_B}


def codes(problems: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(p.field, p.code) for p in problems]


@pytest.fixture(scope="module")
def tenants(stub_process: Stub) -> Iterator[SiptelSms]:
    """The component, holding two tenants' keys."""
    with SiptelSms(WASM, siptel_base_url=stub_process.url, secrets=KEYS) as loaded:
        yield loaded


@pytest.fixture(scope="module")
def probe(stub_process: Stub) -> Iterator[SiptelSms]:
    """The hostile probe, holding tenant A's key."""
    limits = Limits(call_timeout=0.5, send_grace=0.5)
    with SiptelSms(PROBE_WASM, siptel_base_url=stub_process.url, secrets=KEYS, limits=limits) as loaded:
        yield loaded


class TestRefusedBeforeTheGuestRuns:
    @pytest.mark.parametrize(
        ("name", "grant"), [("tenant_b", {"tenant_a"}), ("ghost", {"tenant_a", "ghost"})], ids=["not-granted", "not-held"]
    )
    def test_a_name_not_granted_or_not_held_is_invalid_with_the_other_problems(
        self, tenants: SiptelSms, stub: Stub, name: str, grant: set[str]
    ) -> None:
        config = base_config(stub.url, api_key=f"secret:{name}", window_start="25:00")
        expected = [("api-key", "not-allowed"), ("window-start", "invalid-time")]
        outcome = tenants.send(config, secrets=grant)
        assert isinstance(outcome, Invalid), outcome
        assert codes(outcome.problems) == expected
        assert codes(tenants.check(config, secrets=grant)) == expected
        with pytest.raises(InvalidConfig) as raised:
            tenants.preview(config, secrets=grant)
        assert codes(raised.value.problems) == expected
        assert stub.requests() == []

    def test_without_a_grant_no_secret_is_usable(self, tenants: SiptelSms, stub: Stub) -> None:
        outcome = tenants.send(base_config(stub.url, api_key="secret:tenant_a"))
        assert isinstance(outcome, Invalid) and codes(outcome.problems) == [("api-key", "not-allowed")], outcome
        assert stub.requests() == []

    def test_the_guest_never_runs_the_send(self, probe: SiptelSms, stub: Stub) -> None:
        # The probe would post to this URL with the reference as its token.
        config = {**probe_config(f"{stub.url}/v1/sms"), "api-key": "secret:tenant_b"}
        outcome = probe.send(config, secrets={"tenant_a"})
        assert isinstance(outcome, Invalid), outcome
        assert codes(outcome.problems) == [("api-key", "not-allowed")]
        assert stub.requests() == []

    def test_entities_help_find_the_other_problems(self, tenants: SiptelSms, stub: Stub) -> None:
        config = base_config(stub.url, api_key="secret:tenant_b", recipient="{{phone}}")
        outcome = tenants.send(config, {"phone": "22 123 4567"}, secrets={"tenant_a"})
        assert isinstance(outcome, Invalid), outcome
        assert codes(outcome.problems) == [("api-key", "not-allowed"), ("recipient", "missing-country-code")]

    @pytest.mark.parametrize("language", ["es", "en"])
    def test_the_message_is_the_rust_hosts(self, tenants: SiptelSms, tmp_path: Path, language: str) -> None:
        name = "tenant_" + "b" * 50  # longer than a quote: cut at 40
        config = base_config("https://api.siptel.cl", api_key=f"secret:{name}", language=language)
        [refusal] = tenants.check(config, secrets={"tenant_a"})
        path = tmp_path / "config.json"
        path.write_text(json.dumps({**config, "weekdays": sorted(config["weekdays"])}))
        done = subprocess.run(
            [str(STUB_BIN), "check", str(path), "--json"], capture_output=True, text=True, timeout=60
        )
        [rust] = json.loads(done.stdout)
        assert (refusal.field, refusal.code, refusal.message) == (rust["field"], rust["code"], rust["message"])
        assert f"{name[:40]}…" in refusal.message


class TestTwoTenants:
    def test_each_tenant_reaches_only_its_own_key(self, tenants: SiptelSms, stub: Stub) -> None:
        stub.configure({"api_key": KEY_B})
        # A's flow names B's secret, directly or through an entity: refused.
        for api_key, entities in [
            ("secret:tenant_b", {}),
            ("{{k}}", {"k": "secret:tenant_b"}),
            ("secret:{{k}}", {"k": "tenant_b"}),
        ]:
            outcome = tenants.send(base_config(stub.url, api_key=api_key), entities, secrets={"tenant_a"}, tenant="a")
            assert isinstance(outcome, Invalid), (api_key, outcome)
            assert outcome.problems[0].code == "not-allowed", api_key
            assert KEY_B not in repr(outcome)
        assert stub.requests() == []
        # A's own key goes out (and the stub, which knows only B's, refuses it).
        outcome = tenants.send(base_config(stub.url, api_key="secret:tenant_a"), secrets={"tenant_a"}, tenant="a")
        assert isinstance(outcome, Failed) and outcome.code == "invalid-api-key", outcome
        assert stub.requests()[0]["headers"]["authorization"] == f"Bearer {KEY_A}"
        # B with its own grant is sent.
        outcome = tenants.send(base_config(stub.url, api_key="secret:tenant_b"), secrets={"tenant_b"}, tenant="b")
        assert isinstance(outcome, Sent), outcome
        assert stub.requests()[1]["headers"]["authorization"] == f"Bearer {KEY_B}"


def probe_config(url: str) -> dict[str, object]:
    """A config the probe turns into a POST to ``url``."""
    return {
        "api-key": "plain-key",
        "sender": "1",
        "recipient": "2",
        "message": url,
        "window-start": "00:00",
        "window-end": "23:59",
    }


class TestEgressSecondLine:
    def test_a_guest_that_names_a_secret_not_granted_is_refused_at_egress(
        self, probe: SiptelSms, stub: Stub, caplog: pytest.LogCaptureFixture
    ) -> None:
        # The probe sends `campaign` as its token: the host never saw it as a key.
        config = {**probe_config(f"{stub.url}/v1/sms"), "campaign": "secret:tenant_b"}
        with caplog.at_level(logging.WARNING, logger="siptel_sms.egress"):
            outcome = probe.send(config, secrets={"tenant_a"})
        assert isinstance(outcome, Failed) and outcome.code == "request-denied", outcome
        authority = stub.url.removeprefix("http://")
        assert f"egress refused: http://{authority} (secret `tenant_b` not granted)" in caplog.text
        assert stub.requests() == []

    def test_behind_a_gateway_path_only_that_path_is_reachable_and_gets_the_key(
        self, probe: SiptelSms, stub: Stub
    ) -> None:
        gateway = f"{stub.url}/tenants/a"
        for escape in ["/tenants/a/../b/v1/sms", "/tenants/a/%2e%2e/b/v1/sms", "/tenants/b/v1/sms"]:
            config = {**probe_config(stub.url + escape), "campaign": "secret:tenant_a"}
            outcome = probe.send(config, secrets={"tenant_a"}, siptel_base_url=gateway)
            assert isinstance(outcome, Failed) and outcome.code == "request-denied", (escape, outcome)
        assert stub.requests() == []
        config = {**probe_config(f"{gateway}/v1/sms"), "campaign": "secret:tenant_a"}
        outcome = probe.send(config, secrets={"tenant_a"}, siptel_base_url=gateway)
        assert isinstance(outcome, Sent), outcome
        [request] = stub.requests()
        assert request["path"] == "/tenants/a/v1/sms"
        assert request["headers"]["authorization"] == f"Bearer {KEY_A}"
