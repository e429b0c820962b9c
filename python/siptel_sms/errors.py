"""The exceptions of the package.

Never mixed up with the action's own outcomes (values, see
:mod:`siptel_sms.model`):

* :class:`InputError` — what was handed in does not have the shape of its
  part (a wrong key, type or value), named by its JSON path as the core
  found it. Raised before the component runs.
* :class:`InvalidConfig` — ``preview`` found problems in the config (the
  ``err`` of its WIT ``result``).
* :class:`HostError` — the sandbox stopped or failed the call:
  :class:`CallTimeout`, :class:`MemoryLimit`, :class:`Trap`, :class:`Busy`
  when no slot came free in time, or :class:`LoadError` when the component
  or the host options cannot be loaded.

All of them come from the core's error document (``{"error": {"kind": ...}}``,
``siptel_sms_host::wire::result_json``): this module only names them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import Problem


class SiptelSmsError(Exception):
    """Base of every exception this package raises."""


class InputError(SiptelSmsError, ValueError):
    """A value does not fit its part.

    ``problems`` lists every wrong part, each with its ``field`` (the JSON
    path in WIT names: ``config.max-attempts``, ``entities[2].name``,
    ``options.tenant``, ``at``), ``code`` (``unknown-field``,
    ``missing-field``, ``wrong-type``, ``unknown-value``,
    ``not-an-instant``, ``not-an-object``, ...) and ``message``;
    ``field`` and ``code`` are the first one's.
    """

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            problems = [Problem("", "wrong-type", "the input does not fit")]
        listed = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in problems)
        super().__init__(listed)
        self.problems = problems
        self.field = problems[0].field
        self.code = problems[0].code
        self.message = problems[0].message

    @classmethod
    def one(cls, field: str, code: str, message: str) -> InputError:
        return cls([Problem(field, code, message)])


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
    and scrubbed of API keys by the core), ``denied`` the requests the
    egress policy refused.
    """

    def __init__(self, message: str, error: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        error = error or {}
        self.stdout: str = error.get("stdout") or ""
        self.stderr: str = error.get("stderr") or ""
        self.denied: list[str] = list(error.get("denied") or [])


class LoadError(HostError):
    """The component or the host options could not be loaded."""


class Busy(HostError):
    """No slot came free within ``Limits.slot_wait`` (``seconds``): the host is
    at ``Limits.concurrent_calls``, or this call's tenant at its
    ``Limits.tenant_slots``. The action did not run; repeat the call later."""

    def __init__(self, message: str, error: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, error)
        self.seconds: float = float((error or {}).get("seconds") or 0.0)


class CallTimeout(HostError):
    """The call ran past its deadline (``seconds``) and was stopped."""

    def __init__(self, message: str, error: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, error)
        self.seconds: float = float((error or {}).get("seconds") or 0.0)


class MemoryLimit(HostError):
    """The guest needed more linear memory than ``limit_bytes``."""

    def __init__(self, message: str, error: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, error)
        self.limit_bytes: int = int((error or {}).get("limit-bytes") or 0)


class Trap(HostError):
    """The guest trapped (a panic, an exit, a fault, too many resources)."""


_HOST_ERRORS: dict[str, type[HostError]] = {
    "busy": Busy,
    "timeout": CallTimeout,
    "memory-limit": MemoryLimit,
    "trap": Trap,
    "load": LoadError,
}


def from_document(error: Mapping[str, Any]) -> SiptelSmsError:
    """The exception of the core's ``{"error": {...}}`` body ``error``."""
    kind = error.get("kind")
    message = str(error.get("message") or kind)
    if kind == "input":
        return InputError([Problem.from_json(p) for p in error.get("problems") or []])
    if kind == "base-url":
        # A per-call `siptel_base_url` the component does not accept: the
        # caller's argument is wrong, as for any other input.
        return InputError.one("options.siptel-base-url", "bad-base-url", message)
    return _HOST_ERRORS.get(str(kind), HostError)(message, error)
