"""Errors cross the boundary as exceptions carrying the core's field path
and code: :class:`InputError` for input that does not fit (before anything
runs), the :class:`HostError` family for what the sandbox stopped."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from conftest import PROBE_WASM, Stub, base_config

from siptel_sms import (
    Busy,
    CallTimeout,
    HostError,
    InputError,
    Limits,
    LoadError,
    MemoryLimit,
    Sent,
    SiptelSms,
    Trap,
)


def fields(error: InputError) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in error.problems]


class TestInputError:
    @pytest.mark.parametrize(
        ("changes", "field", "code"),
        [
            ({"max-attempts": [3]}, "config.max-attempts", "wrong-type"),
            ({"weekdays": ["someday"]}, "config.weekdays", "unknown-value"),
            ({"language": "fr"}, "config.language", "unknown-value"),
            ({"nope": 1}, "config.nope", "unknown-field"),
            ({"campaign-variables": [{"name": "n"}]}, "config.campaign-variables[0]", "missing-field"),
            ({"message": object()}, "config.message", "wrong-type"),
            ({"message": "\ud800"}, "config.message", "wrong-type"),
        ],
    )
    def test_config_values_named_by_json_path(
        self, action: SiptelSms, stub: Stub, changes: dict[str, Any], field: str, code: str
    ) -> None:
        with pytest.raises(InputError) as raised:
            action.send({**base_config(stub.url), **changes})
        assert (raised.value.field, raised.value.code) == (field, code), raised.value.problems
        assert stub.requests() == []

    def test_every_wrong_part_is_listed(self, action: SiptelSms, stub: Stub) -> None:
        with pytest.raises(InputError) as raised:
            action.preview({"max-attempts": "x", "purpose": 5}, {"name": 5}, at="tomorrow")
        # One problem per part (the config's first), every part that is wrong.
        assert fields(raised.value) == [
            ("config.max-attempts", "wrong-type"),
            ("entities.name", "wrong-type"),
            ("at", "not-an-instant"),
        ]
        assert (raised.value.field, raised.value.code) == ("config.max-attempts", "wrong-type")
        assert str(raised.value).startswith("config.max-attempts: ")

    @pytest.mark.parametrize(
        ("entities", "field"),
        [([{"name": "a", "value": 5}], "entities[0].value"), ([{"name": "a"}], "entities[0]"), ("a=b", "entities")],
    )
    def test_entities(self, action: SiptelSms, stub: Stub, entities: Any, field: str) -> None:
        with pytest.raises(InputError) as raised:
            action.send(base_config(stub.url), entities)
        assert raised.value.field == field, raised.value.problems

    def test_a_config_that_is_no_object(self, action: SiptelSms) -> None:
        with pytest.raises(InputError) as raised:
            action.check(["api-key", "k"])  # type: ignore[arg-type]
        assert (raised.value.field, raised.value.code) == ("config", "not-an-object")

    def test_snake_and_kebab_spelling_of_one_key(self, action: SiptelSms, stub: Stub) -> None:
        with pytest.raises(InputError) as raised:
            action.check({**base_config(stub.url), "api_key": "other"})
        assert (raised.value.field, raised.value.code) == ("config.api-key", "duplicate-field")

    @pytest.mark.parametrize(
        ("call", "field", "code"),
        [
            (lambda a, c: a.send(c, tenant=5), "options.tenant", "wrong-type"),
            (lambda a, c: a.send(c, secrets="acme"), "options.secrets", "wrong-type"),
            (lambda a, c: a.send(c, now=datetime(2026, 9, 7, 9)), "options.wall-clock", "not-an-instant"),
            (lambda a, c: a.send(c, now="monday"), "options.wall-clock", "not-an-instant"),
            (lambda a, c: a.preview(c, at=datetime(2026, 9, 7, 9)), "at", "not-an-instant"),
            (lambda a, c: a.send(c, siptel_base_url="ftp://x"), "options.siptel-base-url", "bad-base-url"),
        ],
        ids=["tenant", "secrets", "naive-now", "text-now", "naive-at", "base-url"],
    )
    def test_call_options(self, action: SiptelSms, stub: Stub, call: Any, field: str, code: str) -> None:
        with pytest.raises(InputError) as raised:
            call(action, base_config(stub.url))
        assert (raised.value.field, raised.value.code) == (field, code), raised.value.problems
        assert stub.requests() == []

    def test_the_binding_keeps_working_after_bad_input(self, action: SiptelSms, stub: Stub) -> None:
        for _ in range(3):
            with pytest.raises(InputError):
                action.send({"max-attempts": "many"})
        assert isinstance(action.send(base_config(stub.url)), Sent)


class TestLoadError:
    @pytest.mark.parametrize(
        "options",
        [
            {"siptel_base_url": "not a url"},
            {"secrets": {"bad name!": "k"}},
            {"secrets": {"acme": "key with spaces"}},
            {"tls_roots_pem": "no certificate here"},
        ],
        ids=["base-url", "secret-name", "secret-key", "tls-roots"],
    )
    def test_options_that_cannot_load(self, options: dict[str, Any]) -> None:
        with pytest.raises(LoadError) as raised:
            SiptelSms(**options)
        assert "key with spaces" not in str(raised.value)

    def test_bytes_that_are_no_component(self) -> None:
        with pytest.raises(LoadError):
            SiptelSms(b"\0asm not really")

    def test_a_path_that_does_not_exist(self, tmp_path: Any) -> None:
        with pytest.raises(LoadError):
            SiptelSms(tmp_path / "missing.wasm")

    def test_limits_of_the_wrong_type_are_input_errors(self) -> None:
        with pytest.raises(InputError) as raised:
            SiptelSms(limits=Limits(tenant_slots=-1))
        assert raised.value.field == "options.limits.tenant-slots"


@pytest.fixture(scope="module")
def probe(stub_process: Stub) -> Iterator[SiptelSms]:
    """The hostile test component: loops in describe, hoards memory, traps."""
    limits = Limits(call_timeout=0.5, memory_bytes=4 << 20)
    with SiptelSms(PROBE_WASM, siptel_base_url=stub_process.url, secrets={"siptel": "probe-key"}, limits=limits) as p:
        yield p


def command(command: str) -> dict[str, str]:
    return {"api-key": "secret:siptel", "message": command}


class TestHostError:
    def test_a_guest_that_loops_is_a_call_timeout(self, probe: SiptelSms) -> None:
        started = time.monotonic()
        with pytest.raises(CallTimeout) as raised:
            probe.describe()
        assert raised.value.seconds == 0.5
        assert time.monotonic() - started < 3

    def test_a_memory_bomb_is_a_memory_limit(self, probe: SiptelSms) -> None:
        with pytest.raises(MemoryLimit) as raised:
            probe.check(command("bomb"), secrets={"siptel"})
        assert raised.value.limit_bytes == 4 << 20

    def test_a_trap_carries_the_guests_scrubbed_stderr(self, probe: SiptelSms, stub: Stub) -> None:
        with pytest.raises(Trap) as raised:
            probe.send(command("trap"), secrets={"siptel"}, siptel_base_url=stub.url)
        assert isinstance(raised.value, HostError)
        assert "the probe traps on purpose" in raised.value.stderr
        assert "probe-key" not in raised.value.stderr + raised.value.stdout + str(raised.value)

    def test_busy_when_the_tenants_share_is_taken(self, stub: Stub) -> None:
        limits = Limits(tenant_slots=1, slot_wait=0.05)
        with SiptelSms(siptel_base_url=stub.url, limits=limits) as action:
            stub.script([{"status": 201, "delay_ms": 1000}])
            slow = threading.Thread(target=action.send, args=(base_config(stub.url),), kwargs={"tenant": "a"})
            slow.start()
            try:
                time.sleep(0.3)
                with pytest.raises(Busy) as raised:
                    action.send(base_config(stub.url), tenant="a")
                assert raised.value.seconds == pytest.approx(0.05)
                # Another tenant is not held up by a's share.
                assert action.check(base_config(stub.url), tenant="b") == []
            finally:
                slow.join()
