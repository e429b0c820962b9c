"""The exceptions of the package.

Two families, never mixed up with the action's own outcomes (which are
values, see :mod:`siptel_sms.model`):

* :class:`InputError` — the Python value handed in does not fit the WIT type
  (a wrong key, type or range). Raised before the component runs.
* :class:`InvalidConfig` — ``preview`` found problems in the config (the
  ``err`` of its WIT ``result``).
* :class:`HostError` — the sandbox stopped or failed the call:
  :class:`CallTimeout`, :class:`MemoryLimit`, :class:`Trap`, :class:`Busy`
  when no slot came free in time, or :class:`LoadError` when the component
  cannot be loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Problem


class SiptelSmsError(Exception):
    """Base of every exception this package raises."""


class InputError(SiptelSmsError, ValueError):
    """A value does not fit its WIT type.

    ``field`` is the path of the offending value in WIT names
    (``config.max-attempts``, ``entities[2].name``), ``code`` a stable reason:
    ``unknown-field``, ``duplicate-field``, ``missing-field``, ``wrong-type``,
    ``out-of-range``, ``unknown-case`` or ``bad-string``.
    """

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.code = code
        self.message = message


class InvalidConfig(SiptelSmsError, ValueError):
    """``preview`` refused the config: every problem, each with its ``field``
    and ``code``, in the component's stable order."""

    def __init__(self, problems: list[Problem]) -> None:
        listed = "; ".join(f"{p.field}: {p.code}" for p in problems)
        super().__init__(f"the config has {len(problems)} problem(s): {listed}")
        self.problems = problems


class HostError(SiptelSmsError):
    """The sandbox stopped or failed a call; nothing the action decided.

    ``stdout`` and ``stderr`` hold what the guest wrote until then (capped
    and scrubbed of API keys), ``denied`` the requests the egress policy
    refused.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.stdout = ""
        self.stderr = ""
        self.denied: list[str] = []


class LoadError(HostError):
    """The component could not be read, compiled or linked."""


class Busy(HostError):
    """No slot came free within ``Limits.slot_wait`` (``seconds``): the host is
    at ``Limits.concurrent_calls``, or this call's tenant at its
    ``Limits.tenant_slots``. The action did not run; repeat the call later."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no slot came free within {seconds:g} s")
        self.seconds = seconds


class CallTimeout(HostError):
    """The call ran past its deadline (``seconds``) and was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the component ran past its {seconds:g} s deadline")
        self.seconds = seconds


class MemoryLimit(HostError):
    """The guest needed more linear memory than ``limit_bytes``."""

    def __init__(self, limit_bytes: int, message: str | None = None) -> None:
        super().__init__(message or f"the component exceeded its {limit_bytes}-byte memory limit")
        self.limit_bytes = limit_bytes


class Trap(HostError):
    """The guest trapped (a panic, an exit, a fault, too many resources)."""
