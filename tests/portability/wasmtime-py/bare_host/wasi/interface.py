"""What a host-implemented WASI interface declares for the linker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Interface:
    """The resources an interface defines (WIT name -> Python class) and its
    functions (WIT name, e.g. ``[method]pollable.block`` -> implementation).

    An implementation takes the call's :class:`~bare_host.call.CallState`
    first, then the WIT parameters as plain values (resources as the Python
    objects the guest holds handles to), and returns the plain result (see
    :mod:`bare_host.values`). Only resources an interface *defines* are
    listed; those it ``use``s belong to their own interface.
    """

    resources: dict[str, type] = field(default_factory=dict)
    functions: dict[str, Callable[..., Any]] = field(default_factory=dict)
