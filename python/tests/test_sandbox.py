"""What the sandbox guarantees, shown with the real component and with the
test-only ``sandbox-probe`` component (host-harness/test-components), which
misbehaves on purpose: it loops, hoards memory, leaks handles, traps, prints
its API key, probes for files and sockets, and posts to any URL."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import PROBE_WASM, WASM, Stub, base_config

from siptel_sms import Busy, CallTimeout, Failed, Limits, MemoryLimit, Sent, SiptelSms, Trap

#: A config the probe accepts; its `message` is the probe's command.
PROBE_CONFIG = {
    "api-key": "sk-live-0123456789",
    "sender": "1",
    "recipient": "2",
    "window-start": "00:00",
    "window-end": "23:59",
    "weekdays": [],
}


def probe_config(command: str, **changes: object) -> dict[str, object]:
    """The probe's config running ``command``, with ``changes`` (snake_case names)."""
    return {**PROBE_CONFIG, "message": command, **{k.replace("_", "-"): v for k, v in changes.items()}}


@pytest.fixture(scope="module")
def loaded_probe(stub_process: Stub) -> Iterator[SiptelSms]:
    limits = Limits(call_timeout=0.5, send_grace=0.2, memory_bytes=16 << 20)
    with SiptelSms(PROBE_WASM, siptel_base_url=stub_process.url, limits=limits) as loaded:
        yield loaded


@pytest.fixture
def probe(loaded_probe: SiptelSms, stub: Stub) -> SiptelSms:
    """The probe, with short limits, allowed to reach the (reset) stub only."""
    return loaded_probe


class TestDeadline:
    def test_a_guest_that_computes_forever_is_stopped(self, probe: SiptelSms) -> None:
        started = time.monotonic()
        with pytest.raises(CallTimeout) as raised:
            probe.describe()  # the probe's describe loops forever
        elapsed = time.monotonic() - started
        assert raised.value.seconds == 0.5
        assert 0.5 <= elapsed < 1.5, elapsed

    def test_a_guest_waiting_on_the_network_is_stopped(self, probe: SiptelSms, stub: Stub) -> None:
        # The probe posts with no timeout of its own; the answer takes 5 s.
        stub.script([{"status": 201, "delay_ms": 5000}])
        started = time.monotonic()
        with pytest.raises(CallTimeout):
            probe.send(probe_config(f"{stub.url}/v1/sms", deadline_ms=100))
        assert time.monotonic() - started < 1.5

    def test_a_send_gets_its_deadline_ms_plus_the_grace(self, stub: Stub) -> None:
        limits = Limits(call_timeout=0.2, send_grace=0.3)
        stub.script([{"status": 201, "delay_ms": 5000}])
        with SiptelSms(PROBE_WASM, siptel_base_url=stub.url, limits=limits) as probe:
            started = time.monotonic()
            with pytest.raises(CallTimeout) as raised:
                probe.send(probe_config(f"{stub.url}/v1/sms", deadline_ms=600))
        assert raised.value.seconds == pytest.approx(0.9)
        assert 0.9 <= time.monotonic() - started < 2.0


class TestMemory:
    def test_a_memory_bomb_is_stopped_at_the_limit(self, probe: SiptelSms) -> None:
        with pytest.raises(MemoryLimit) as raised:
            probe.check(probe_config("hoard"))
        assert raised.value.limit_bytes == 16 << 20
        assert "memory allocation of" in raised.value.stderr

    def test_the_limit_is_the_hosts_choice(self, stub: Stub) -> None:
        grow_8_mib = probe_config(f"grow:{8 << 20}")
        # A short call timeout: loading reads the probe's form, and its
        # `describe` loops until stopped.
        with SiptelSms(PROBE_WASM, siptel_base_url=stub.url, limits=Limits(call_timeout=1.0)) as roomy:
            assert roomy.check(grow_8_mib) == []
        tight_limits = Limits(call_timeout=1.0, memory_bytes=4 << 20)
        with SiptelSms(PROBE_WASM, siptel_base_url=stub.url, limits=tight_limits) as tight:
            with pytest.raises(MemoryLimit):
                tight.check(grow_8_mib)

    def test_input_larger_than_the_limit_is_cut_to_what_the_action_judges(self, action: SiptelSms) -> None:
        # 20 MiB in a 16 MiB sandbox: cut one past the field's length, the
        # component still finds it too long.
        problems = action.check(base_config("http://127.0.0.1:9", message="x" * (20 << 20)))
        assert [(p.field, p.code) for p in problems] == [("message", "too-long")]

    def test_too_many_resource_handles_trap(self, probe: SiptelSms) -> None:
        with pytest.raises(Trap, match="more than 4096 resources"):
            probe.check(probe_config("handles"))


class TestFreshStorePerCall:
    def test_calls_after_a_trap_a_timeout_and_a_memory_failure_still_work(self, probe: SiptelSms) -> None:
        with pytest.raises(Trap) as trapped:
            probe.send(probe_config("trap"))
        assert "the probe traps on purpose" in trapped.value.stderr
        with pytest.raises(CallTimeout):
            probe.describe()
        with pytest.raises(MemoryLimit):
            probe.check(probe_config("hoard"))
        # A reused instance would be poisoned by any of these.
        assert probe.check(probe_config("grow:1000")) == []

    def test_output_is_per_call(self, probe: SiptelSms, caplog: pytest.LogCaptureFixture) -> None:
        with caplog.at_level(logging.DEBUG, logger="siptel_sms.guest"):
            probe.preview(probe_config("echo", api_key="first-key-1"))
            probe.preview(probe_config("echo", api_key="second-key-2"))
        records = [r.getMessage() for r in caplog.records if r.name == "siptel_sms.guest"]
        assert len(records) == 2
        assert all(r.count("[redacted]") == 2 for r in records), records


class TestOutput:
    def test_the_api_key_is_scrubbed_from_guest_output(self, probe: SiptelSms, caplog: pytest.LogCaptureFixture) -> None:
        with caplog.at_level(logging.DEBUG, logger="siptel_sms.guest"):
            preview = probe.preview(probe_config("echo"))
        assert preview.message == PROBE_CONFIG["api-key"]  # the guest holds the key it was given
        logged = " ".join(r.getMessage() for r in caplog.records)
        assert "api-key: [redacted]" in logged
        assert str(PROBE_CONFIG["api-key"]) not in logged

    def test_output_past_the_cap_closes_the_stream_not_the_call(self, probe: SiptelSms) -> None:
        preview = probe.preview(probe_config("flood:200000"))
        assert preview.message == "stdout accepted 65536 then BrokenPipe, stderr accepted 65536 then BrokenPipe"


class TestNoAmbientAuthority:
    def test_files_sockets_and_environment_are_not_linked(self, probe: SiptelSms) -> None:
        with pytest.raises(Trap, match="wasi:filesystem"):
            probe.preview(probe_config("probe:127.0.0.1:9"))


class TestEgress:
    def test_the_component_cannot_reach_another_authority(
        self, action: SiptelSms, stub: Stub, caplog: pytest.LogCaptureFixture
    ) -> None:
        other = Stub()
        try:
            with caplog.at_level(logging.WARNING, logger="siptel_sms.egress"):
                outcome = action.send(base_config(other.url, max_attempts=3))
            assert isinstance(outcome, Failed), outcome
            assert (outcome.code, outcome.attempts, outcome.last_status) == ("request-denied", 1, None)
            assert other.requests() == [] and stub.requests() == []
            assert f"egress refused: {other.url}" in caplog.text
        finally:
            other.stop()

    @pytest.mark.parametrize(
        "target",
        [
            "{other}/v1/sms",  # another port
            "{https}/v1/sms",  # the allowed host and port, another scheme
            "http://user@{authority}/v1/sms",  # userinfo in front of the allowed authority
            "http://10.255.255.1:80/v1/sms",  # another host, never contacted
        ],
    )
    def test_any_other_target_of_a_hostile_guest_is_refused(self, probe: SiptelSms, stub: Stub, target: str) -> None:
        authority = stub.url.removeprefix("http://")
        other = f"http://127.0.0.1:{int(authority.rpartition(':')[2]) + 1}"
        url = target.format(other=other, https=f"https://{authority}", authority=authority)
        outcome = probe.send(probe_config(url))
        assert isinstance(outcome, Failed) and outcome.code == "request-denied", outcome
        assert stub.requests() == []

    def test_the_allowed_authority_is_reached(self, probe: SiptelSms, stub: Stub) -> None:
        outcome = probe.send(probe_config(f"{stub.url}/v1/sms"))
        assert isinstance(outcome, Sent) and outcome.id == "401", outcome  # the probe's key is not the stub's
        assert len(stub.requests()) == 1


class TestInterpreterSafety:
    @pytest.mark.parametrize("raised", [RuntimeError("host bug"), KeyboardInterrupt()])
    def test_an_exception_in_a_host_function_ends_only_that_call(
        self, stub: Stub, monkeypatch: pytest.MonkeyPatch, raised: BaseException
    ) -> None:
        from siptel_sms.wasi import INTERFACES

        def fail(call: object, length: int) -> bytes:
            raise raised

        # The component draws its idempotency key from wasi:random (16 bytes).
        monkeypatch.setitem(INTERFACES["wasi:random/random"].functions, "get-random-bytes", fail)
        with SiptelSms(WASM, siptel_base_url=stub.url) as action:
            if isinstance(raised, KeyboardInterrupt):
                with pytest.raises(KeyboardInterrupt):
                    action.send(base_config(stub.url))
            else:
                with pytest.raises(Trap, match="host bug") as trapped:
                    action.send(base_config(stub.url))
                assert trapped.value.__cause__ is raised
            # The next call in the same host runs normally.
            assert action.check(base_config(stub.url)) == []
        assert stub.requests() == []

    def test_concurrent_calls_on_threads(self, action: SiptelSms, stub: Stub) -> None:
        outcomes: list[object] = []

        def send_five() -> None:
            outcomes.extend(action.send(base_config(stub.url)) for _ in range(5))

        threads = [threading.Thread(target=send_five) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(outcomes) == 20 and all(isinstance(o, Sent) for o in outcomes), outcomes
        assert len({o.idempotency_key for o in outcomes}) == 20  # type: ignore[attr-defined]
        assert len(stub.requests()) == 20

    def test_wasmtime_py_own_wasi_http_aborts_the_process_without_its_context(self) -> None:
        """Why this package brings its own ``wasi:http``: wasmtime-py's, linked
        without ``Store.set_wasi_http()``, panics in its C API and aborts the
        whole interpreter on the first HTTP call (not an exception). If this
        test starts failing, wasmtime-py turned that into an error."""
        script = f"""
from wasmtime import Store, WasiConfig
from wasmtime.component import Linker
from siptel_sms import SiptelSms
from siptel_sms.values import NO_RESOURCES
action = SiptelSms({str(WASM)!r}, siptel_base_url="http://127.0.0.1:9")
sandbox = action._sandbox
index, signature = sandbox.exports["send"]
config = signature.params[0][1].lower({base_config("http://127.0.0.1:9", max_attempts=1)!r}, "config", NO_RESOURCES)
linker = Linker(sandbox.engine)
linker.add_wasip2()
linker.add_wasi_http()
store = Store(sandbox.engine)
store.set_wasi(WasiConfig())  # but not store.set_wasi_http()
store.set_epoch_deadline(1000)
instance = linker.instantiate(store, sandbox.component)
instance.get_func(store, index)(store, config, [])
print("survived")
"""
        environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=environment
        )
        assert done.returncode == -6, (done.returncode, done.stdout, done.stderr[-2000:])  # SIGABRT
        assert "survived" not in done.stdout
        assert "panicked" in done.stderr


class TestSlots:
    """Calls from threads share the host's slots (as tests/sandbox.rs shows
    for the Rust host): slow sends never keep a quick call waiting, one
    tenant holds at most its share, and a wait is bounded (``Busy``)."""

    LIMITS = Limits(concurrent_calls=4, quick_reserve=1, tenant_slots=2, slot_wait=0.3)

    @staticmethod
    def in_threads(*calls: Callable[[], object]) -> list[object]:
        """Runs each call on its own thread; their results or exceptions."""
        results: list[object] = [None] * len(calls)

        def run(i: int) -> None:
            try:
                results[i] = calls[i]()
            except Exception as error:  # noqa: BLE001 - the result under test
                results[i] = error

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        return results

    def test_slow_sends_never_keep_a_quick_call_waiting(self, stub: Stub) -> None:
        stub.script([{"status": 201, "delay_ms": 2000}] * 3)
        config = base_config(stub.url)
        with SiptelSms(WASM, siptel_base_url=stub.url, limits=self.LIMITS) as host:
            started = time.monotonic()

            def late() -> tuple[object, float, object, float]:
                time.sleep(0.2)
                quick = host.check(config, tenant="d")
                quick_after = time.monotonic() - started
                try:
                    busy: object = host.send(config, tenant="d")
                except Busy as error:
                    busy = error
                return quick, quick_after, busy, time.monotonic() - started

            *sends, last = self.in_threads(
                *(lambda t=t: host.send(config, tenant=t) for t in "abc"),  # type: ignore[misc]
                late,
            )
        quick, quick_after, busy, busy_after = last  # type: ignore[misc]
        assert quick == [] and quick_after < 1.0, quick_after
        assert isinstance(busy, Busy) and busy.seconds == 0.3, busy
        assert busy_after < 1.5, busy_after
        assert all(isinstance(o, Sent) for o in sends), sends

    def test_one_tenant_holds_at_most_its_share_of_the_slots(self, stub: Stub) -> None:
        stub.script([{"status": 201, "delay_ms": 1000}] * 3)
        config = base_config(stub.url)
        with SiptelSms(WASM, siptel_base_url=stub.url, limits=self.LIMITS) as host:

            def later(tenant: str) -> object:
                time.sleep(0.1)
                return host.send(config, tenant=tenant)

            first, second, third, other = self.in_threads(
                lambda: host.send(config, tenant="a"),
                lambda: host.send(config, tenant="a"),
                lambda: later("a"),
                lambda: later("b"),
            )
        assert isinstance(first, Sent) and isinstance(second, Sent), (first, second)
        assert isinstance(third, Busy), third
        assert isinstance(other, Sent), other


def test_a_host_nobody_closed_stops_its_epoch_ticker(stub: Stub) -> None:
    import gc

    action = SiptelSms(WASM, siptel_base_url=stub.url)
    ticker = action._sandbox._ticker  # type: ignore[attr-defined]
    assert ticker.is_alive()
    del action
    gc.collect()
    ticker.join(2)
    assert not ticker.is_alive()
