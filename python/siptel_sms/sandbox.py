"""Loading the component once and running each call in its own sandbox.

Every call gets a fresh wasmtime ``Store`` and instance, and:

* **a deadline**: epoch interruption ticks every 10 ms on a thread of this
  host; a guest computing past the deadline traps at the next tick, and a
  guest waiting in the host (``poll``) is stopped by the host at the deadline
  (:class:`~siptel_sms.errors.CallTimeout`);
* **a memory limit**: store limits refuse linear memory past
  ``Limits.memory_bytes`` (:class:`~siptel_sms.errors.MemoryLimit`), plus at
  most 4096 resource handles;
* **only the Python WASI** of :mod:`siptel_sms.wasi`: no environment,
  arguments, files, sockets or DNS, and HTTP only through the egress policy;
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
from .call import CURRENT, CallState
from .egress import Authority, Egress, Pool, check_secrets, tls_context
from .errors import CallTimeout, HostError, InputError, LoadError, MemoryLimit, Trap
from .imports import link
from .redact import Redactor
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


def _tick(engine: Engine, stop: threading.Event) -> None:
    """Advances the engine's epoch every tick until ``stop`` is set."""
    while not stop.wait(EPOCH_TICK):
        engine.increment_epoch()


def _input_bytes(value: Any) -> int:
    """Bytes the guest needs at least to receive ``value`` (wasmtime-py form)."""
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, (list, tuple, set)):
        return sum(_input_bytes(v) for v in value)
    if isinstance(value, wc.Record):
        return sum(_input_bytes(v) for v in vars(value).values())
    if isinstance(value, wc.Variant):
        return _input_bytes(value.payload)
    return 8


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
            self.allowed = Authority.of_base_url(siptel_base_url)
            check_secrets(secrets)
            self.secrets = dict(secrets)
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
        api_key: str | None = None,
        entities: Mapping[str, str] | None = None,
        wall_clock: Callable[[], float] = time.time,
        siptel_base_url: str | None = None,
    ) -> Any:
        """Calls ``export`` with ``args`` already lowered (see
        :meth:`Signature.params`) in a fresh store; returns the lifted result."""
        index, signature = self.exports[export]
        size = _input_bytes(args)
        if size > self.limits.memory_bytes // 2:
            # The guest copies its input at least once; near the limit its
            # allocator fails while the arguments are lowered, where it cannot
            # say why (a bare trap). Refuse such input before running it.
            limit = self.limits.memory_bytes
            raise MemoryLimit(limit, f"the input ({size} bytes) needs more than the {limit}-byte memory limit")
        try:
            allowed = self.allowed if siptel_base_url is None else Authority.of_base_url(siptel_base_url)
        except ValueError as error:
            raise InputError("siptel_base_url", "wrong-type", str(error)) from None
        call = CallState(
            timeout=timeout,
            output_bytes=self.limits.output_bytes,
            egress=Egress(allowed, self.secrets, self.pool),
            wall_clock=wall_clock,
        )
        store = Store(self.engine)
        store.set_limits(memory_size=self.limits.memory_bytes, instances=16, tables=16, memories=4)
        store.set_epoch_deadline(math.ceil(timeout / EPOCH_TICK) + 1)
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
            redactor = Redactor(self.secrets.values(), api_key, entities or {})
            stdout, stderr = redactor.scrub(stdout), redactor.scrub(stderr)
        if error is not None:
            error.stdout, error.stderr, error.denied = stdout, stderr, list(call.egress.denied)
        elif stdout or stderr:
            log.debug("guest output: stdout=%r stderr=%r", stdout, stderr)
