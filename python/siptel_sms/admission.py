"""Who gets an instance slot, and how long they wait.

Calls run on the caller's thread, and a host may call from many threads at
once (wasmtime-py releases the GIL while the guest runs, and the host's
``poll`` releases it while it waits on the network): each running call holds
a store of up to ``Limits.memory_bytes``. As in the Rust host
(``host-harness/src/admission.rs``), a call is admitted when, all at once,
its tenant holds fewer than ``Limits.tenant_slots`` slots, a send finds a
slot outside the ``Limits.quick_reserve`` that only quick calls (``check``,
``preview``, ``describe``) may take, and fewer than
``Limits.concurrent_calls`` calls run; it waits at most ``Limits.slot_wait``
seconds for that, then fails with :class:`~siptel_sms.errors.Busy`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import Busy


class Admission:
    """The host's slots and the shares of them."""

    def __init__(self, concurrent_calls: int, quick_reserve: int, tenant_slots: int, slot_wait: float) -> None:
        self.slots = max(concurrent_calls, 1)
        self.send_slots = self.slots - min(max(quick_reserve, 0), self.slots - 1)
        self.tenant_slots = min(max(tenant_slots, 1), self.slots)
        self.wait = slot_wait
        self._ready = threading.Condition()
        self._running = 0
        self._sends = 0
        #: Slots held by each tenant with calls running (no entry: none).
        self._tenants: dict[str, int] = {}

    def _free(self, send: bool, tenant: str | None) -> bool:
        return (
            self._running < self.slots
            and (not send or self._sends < self.send_slots)
            and (tenant is None or self._tenants.get(tenant, 0) < self.tenant_slots)
        )

    @contextmanager
    def admit(self, send: bool, tenant: str | None) -> Iterator[None]:
        """Holds a slot for the ``with`` block; :class:`Busy` when none came
        free within the wait."""
        deadline = time.monotonic() + self.wait
        with self._ready:
            while not self._free(send, tenant):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Busy(self.wait)
                self._ready.wait(left)
            self._running += 1
            self._sends += send
            if tenant is not None:
                self._tenants[tenant] = self._tenants.get(tenant, 0) + 1
        try:
            yield
        finally:
            with self._ready:
                self._running -= 1
                self._sends -= send
                if tenant is not None:
                    held = self._tenants.pop(tenant) - 1
                    if held:
                        self._tenants[tenant] = held
                self._ready.notify_all()

    def tenants_tracked(self) -> int:
        """Tenants with calls running (the map forgets idle tenants)."""
        with self._ready:
            return len(self._tenants)
