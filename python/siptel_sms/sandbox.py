"""Loading the component once and running each call in its own sandbox.

Every call gets a fresh wasmtime ``Store`` and instance, and:

* **a deadline**: epoch interruption ticks every 10 ms on a thread of this
  host; a guest computing past the deadline traps at the next tick, and a
  guest waiting in the host (``poll``) is stopped by the host at the deadline
  (:class:`~siptel_sms.errors.CallTimeout`);
* **a memory limit**: store limits refuse linear memory past
  ``Limits.memory_bytes`` (:class:`~siptel_sms.errors.MemoryLimit`), plus at
  most 4096 resource handles;
* **a slot**: at most ``Limits.concurrent_calls`` calls run at once, with
  shares per tenant and a reserve for quick calls
  (:mod:`siptel_sms.admission`; :class:`~siptel_sms.errors.Busy`);
* **only the Python WASI** of :mod:`siptel_sms.wasi`: no environment,
  arguments, files, sockets or DNS, and HTTP only through the egress policy
  with the call's granted secrets (:mod:`siptel_sms.egress`);
* **captured output**: stdout and stderr, capped and scrubbed of API keys.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from wasmtime import Engine, Store, WasmtimeError
from wasmtime import component as wc

from . import native
from .admission import Admission
from .call import CURRENT, CallState
from .egress import Egress, Pool, Scope, tls_context
from .errors import CallTimeout, HostError, InputError, LoadError, MemoryLimit, Trap
from .imports import link
from .redact import Redactor
from .secrets import Vault
from .values import NO_RESOURCES, Signature

log = logging.getLogger("siptel_sms.guest")

#: How often the epoch advances: the granularity of call deadlines.
EPOCH_TICK = 0.01

#: What a Rust guest prints when its allocator is refused memory.
_ALLOCATION_FAILED = "memory allocation of "


@dataclass(frozen=True)
class Limits:
    """Sandbox limits applied to every call."""

    #: Seconds a ``check``, ``preview`` or ``describe`` may run, and the least
    #: a ``send`` may.
    call_timeout: float = 10.0
    #: Seconds a ``send`` gets beyond its config's ``deadline-ms``.
    send_grace: float = 5.0
    #: Largest linear memory of one instance, in bytes.
    memory_bytes: int = 16 << 20
    #: Bytes of guest stdout and of stderr kept per call.
    output_bytes: int = 64 << 10
    #: Calls that run at once; further calls wait for a slot.
    concurrent_calls: int = 128
    #: Of those slots, how many only quick calls (``check``, ``preview``,
    #: ``describe``) may take: sends, which may wait seconds on Siptel, never
    #: hold every slot, so a design-time check still answers.
    quick_reserve: int = 8
    #: Most slots the calls of one tenant (``tenant=``) hold at once.
    tenant_slots: int = 32
    #: Seconds a call waits for a slot before failing with ``Busy``.
    slot_wait: float = 2.0


def _tick(engine: Engine, stop: threading.Event) -> None:
    """Advances the engine's epoch every tick until ``stop`` is set."""
    while not stop.wait(EPOCH_TICK):
        engine.increment_epoch()


class Sandbox:
    """A compiled component, its linker and exports, and the epoch ticker."""

    def __init__(
        self,
        wasm: str | os.PathLike[str] | bytes,
        *,
        interface: str,
        limits: Limits,
        siptel_base_url: str,
        secrets: Mapping[str, str],
        tls_roots_pem: str | None,
    ) -> None:
        self.limits = limits
        try:
            self.scope = Scope.of_base_url(siptel_base_url)
            self.vault = Vault(secrets)
            self.admission = Admission(
                limits.concurrent_calls, limits.quick_reserve, limits.tenant_slots, limits.slot_wait
            )
            self.pool = Pool(tls_context(tls_roots_pem))
            self.engine = Engine(native.engine_config())
            if isinstance(wasm, (bytes, bytearray)):
                self.component = wc.Component(self.engine, bytes(wasm))
            else:
                self.component = wc.Component.from_file(self.engine, wasm)
            self.linker = link(self.engine, self.component)
            self.exports = self._find_exports(interface)
        except (WasmtimeError, OSError, ValueError, TypeError) as error:
            raise LoadError(f"cannot load the component: {error}") from error
        # The ticker holds the engine, not the sandbox, so a sandbox nobody
        # closed still stops it when it is collected.
        self._stop = threading.Event()
        self._ticker = threading.Thread(
            target=_tick, args=(self.engine, self._stop), name="siptel-sms-epoch", daemon=True
        )
        self._ticker.start()
        weakref.finalize(self, self._stop.set)

    def _find_exports(self, interface: str) -> dict[str, tuple[Any, Signature]]:
        exports = self.component.type.exports(self.engine)
        name = next((n for n in exports if n.partition("@")[0] == interface), None)
        if name is None:
            raise ValueError(f"the component exports no `{interface}`")
        index = self.component.get_export_index(name)
        instance_type = exports[name].ty
        if not isinstance(instance_type, wc.ComponentInstanceType):
            raise ValueError(f"`{name}` is not an interface")
        found = {}
        for func_name, item in instance_type.exports(self.engine).items():
            if isinstance(item.ty, wc.FuncType):
                found[func_name] = (self.component.get_export_index(func_name, index), Signature(item.ty))
        return found

    def close(self) -> None:
        self._stop.set()
        self._ticker.join()
        self.pool.close()

    def signature(self, export: str) -> Signature:
        return self.exports[export][1]

    def run(
        self,
        export: str,
        args: list[Any],
        *,
        timeout: float,
        send: bool = False,
        tenant: str | None = None,
        grant: frozenset[str] = frozenset(),
        api_key: str | None = None,
        entities: Mapping[str, str] | None = None,
        wall_clock: Callable[[], float] = time.time,
        siptel_base_url: str | None = None,
    ) -> Any:
        """Calls ``export`` with ``args`` already lowered (see
        :meth:`Signature.params`) in a fresh store, once admitted (``send``:
        whether it is a send, for the quick reserve); returns the lifted
        result. ``grant`` names the secrets its requests may carry;
        ``api_key`` and ``entities`` (as passed in) are scrubbed from its
        output."""
        try:
            scope = self.scope if siptel_base_url is None else Scope.of_base_url(siptel_base_url)
        except ValueError as error:
            raise InputError("siptel_base_url", "wrong-type", str(error)) from None
        with self.admission.admit(send, tenant):
            call = CallState(
                timeout=timeout,
                output_bytes=self.limits.output_bytes,
                egress=Egress(scope, self.vault, grant, self.pool),
                wall_clock=wall_clock,
            )
            return self._run(call, export, args, api_key, entities)

    def _run(
        self,
        call: CallState,
        export: str,
        args: list[Any],
        api_key: str | None,
        entities: Mapping[str, str] | None,
    ) -> Any:
        index, signature = self.exports[export]
        store = Store(self.engine)
        store.set_limits(memory_size=self.limits.memory_bytes, instances=16, tables=16, memories=4)
        store.set_epoch_deadline(math.ceil(call.timeout / EPOCH_TICK) + 1)
        token = CURRENT.set(call)
        failed: HostError | None = None
        try:
            try:
                instance = self.linker.instantiate(store, self.component)
                func = instance.get_func(store, index)
                if func is None:
                    raise Trap(f"no function `{export}` in the instance")
                raw = native.call(func, store, signature.native, args)
            except WasmtimeError as error:
                failure = self._host_error(call, error)
                raise failure from failure.__cause__
            return None if signature.result is None else signature.result.lift(raw, NO_RESOURCES)
        except HostError as error:
            failed = error
            raise
        finally:
            call.close()
            store.close()
            CURRENT.reset(token)
            self._report(call, api_key, entities, failed)

    def _host_error(self, call: CallState, error: WasmtimeError) -> BaseException:
        """What a trap means: the host's own failure first, then the epoch,
        then memory, else a plain trap."""
        failure = call.failure
        if isinstance(failure, HostError):
            return failure
        if failure is not None and not isinstance(failure, Exception):
            return failure  # KeyboardInterrupt, SystemExit: the caller's, re-raised
        text = str(error)
        cause = text.rpartition("Caused by:")[2].strip() or text.strip()
        if failure is not None:
            trap = Trap(f"the host failed while serving the guest: {type(failure).__name__}: {failure}")
            trap.__cause__ = failure
            return trap
        if "wasm trap: interrupt" in text:
            return CallTimeout(call.timeout)
        if _ALLOCATION_FAILED in call.stderr.text() or "exceeds memory limits" in text:
            return MemoryLimit(self.limits.memory_bytes)
        return Trap(f"the component trapped: {cause.splitlines()[0] if cause else text}")

    def _report(
        self, call: CallState, api_key: str | None, entities: Mapping[str, str] | None, error: HostError | None
    ) -> None:
        """Scrubbed output and refusals onto ``error``, or to the log."""
        stdout, stderr = call.stdout.text(), call.stderr.text()
        if stdout or stderr:
            redactor = Redactor(self.vault.keys(), api_key, entities or {})
            stdout, stderr = redactor.scrub(stdout), redactor.scrub(stderr)
        if error is not None:
            error.stdout, error.stderr, error.denied = stdout, stderr, list(call.egress.denied)
        elif stdout or stderr:
            log.debug("guest output: stdout=%r stderr=%r", stdout, stderr)
