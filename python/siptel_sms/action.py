"""The Siptel SMS action for Python: :class:`SiptelSms`."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from . import model
from .errors import InputError, InvalidConfig
from .sandbox import Limits, Sandbox
from .values import NO_RESOURCES, Err, Ok, RecordSchema

#: The exported interface, without its version.
INTERFACE = "siptel:sms/action"

#: Where Siptel is, unless the host says otherwise.
DEFAULT_BASE_URL = "https://api.siptel.cl"

#: The component's default ``deadline-ms`` (its form says so too; a test
#: keeps the two equal).
DEFAULT_DEADLINE_MS = 30_000

#: A config or an entity: a dict keyed by WIT field names (kebab-case, or
#: snake_case), or a dataclass instance with those fields.
Record = Any


class SiptelSms:
    """The Siptel SMS component, compiled once and called in a fresh sandbox
    per call. Safe to call from several threads at once.

    ``siptel_base_url`` is the only place calls may reach (scheme, host and
    port), whatever a config's ``base-url`` says; ``secrets`` maps names to
    API keys that never enter the sandbox (a config's ``api-key`` may be
    ``secret:<name>``); ``tls_roots_pem`` adds trusted certificates for HTTPS.
    """

    def __init__(
        self,
        wasm: str | os.PathLike[str] | bytes,
        *,
        siptel_base_url: str = DEFAULT_BASE_URL,
        limits: Limits = Limits(),
        secrets: Mapping[str, str] | None = None,
        tls_roots_pem: str | None = None,
    ) -> None:
        self._sandbox = Sandbox(
            wasm,
            interface=INTERFACE,
            limits=limits,
            siptel_base_url=siptel_base_url,
            secrets=secrets or {},
            tls_roots_pem=tls_roots_pem,
        )

    def close(self) -> None:
        """Stops the epoch ticker and closes kept connections."""
        self._sandbox.close()

    def __enter__(self) -> SiptelSms:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def config_fields(self) -> list[str]:
        """The WIT names of the config's fields, as this component declares them."""
        config = self._sandbox.signature("send").params[0][1]
        assert isinstance(config, RecordSchema)
        return config.names

    # -- the four functions -----------------------------------------------------

    def describe(self) -> model.ActionForm:
        """The action's form: each field's id, kind, default, label and help."""
        return model.ActionForm.from_wit(self._run("describe", []))

    def check(self, config: Record) -> list[model.Problem]:
        """Design-time validation (placeholders allowed, no network): every
        problem, in a stable order; empty when the config is valid."""
        args, api_key = self._config_args("check", config)
        return model.problems(self._run("check", args, api_key=api_key))

    def preview(self, config: Record, entities: Any = (), at: datetime | float | None = None) -> model.Preview:
        """What ``send`` would send at ``at`` (default now), without network.
        Raises :class:`InvalidConfig` with every problem when there are some."""
        args, api_key = self._config_args("preview", config, entities)
        args.append(self._lower("preview", 2, _instant(at)))
        answer = self._run("preview", args, api_key=api_key, entities=_entity_values(args[1]))
        if isinstance(answer, Err):
            raise InvalidConfig(model.problems(answer.value))
        assert isinstance(answer, Ok)
        return model.Preview.from_wit(answer.value)

    def send(
        self,
        config: Record,
        entities: Any = (),
        *,
        now: datetime | None = None,
        siptel_base_url: str | None = None,
    ) -> model.Outcome:
        """Sends one SMS: :class:`~model.Sent`, :class:`~model.Blocked`,
        :class:`~model.Invalid` or :class:`~model.Failed`.

        ``now`` places the call at another instant (its wall clock then
        advances in real time), ``siptel_base_url`` overrides the host's for
        this call.
        """
        args, api_key = self._config_args("send", config, entities)
        deadline_ms = getattr(args[0], "deadline-ms", None) or DEFAULT_DEADLINE_MS
        limits = self._sandbox.limits
        timeout = max(limits.call_timeout, deadline_ms / 1000 + limits.send_grace)
        answer = self._run(
            "send",
            args,
            timeout=timeout,
            api_key=api_key,
            entities=_entity_values(args[1]),
            wall_clock=time.time if now is None else _clock_from(now),
            siptel_base_url=siptel_base_url,
        )
        return model.outcome(answer)

    # -- plumbing ------------------------------------------------------------------

    def _run(self, export: str, args: list[Any], **options: Any) -> Any:
        options.setdefault("timeout", self._sandbox.limits.call_timeout)
        return self._sandbox.run(export, args, **options)

    def _lower(self, export: str, position: int, value: Any) -> Any:
        name, schema = self._sandbox.signature(export).params[position]
        return schema.lower(value, name, NO_RESOURCES)

    def _config_args(self, export: str, config: Record, *entities: Any) -> tuple[list[Any], str | None]:
        """The lowered config (and entities), and the API key as written."""
        lowered = self._lower(export, 0, config)
        args = [lowered] + [self._lower(export, 1, _entity_list(e)) for e in entities]
        return args, getattr(lowered, "api-key", None)


def _entity_list(entities: Any) -> Any:
    """Entities as a list: a mapping of name to value is taken as such."""
    if isinstance(entities, Mapping):
        return [{"name": name, "value": value} for name, value in entities.items()]
    if isinstance(entities, Iterable) and not isinstance(entities, (str, bytes)):
        return list(entities)
    return entities


def _entity_values(lowered: list[Any]) -> dict[str, str]:
    return {getattr(e, "name"): getattr(e, "value") for e in lowered}


def _instant(at: datetime | float | None) -> dict[str, int] | None:
    """A WIT ``datetime`` from an aware ``datetime`` or Unix seconds."""
    if at is None:
        return None
    if isinstance(at, datetime):
        if at.tzinfo is None:
            raise InputError("at", "wrong-type", "a datetime with a time zone is needed (naive given)")
        at = at.timestamp()
    if isinstance(at, bool) or not isinstance(at, (int, float)) or at < 0 or at != at:
        raise InputError("at", "wrong-type", f"expected a datetime or Unix seconds, got {at!r}")
    nanos = int(at * 1_000_000_000)
    return {"seconds": nanos // 1_000_000_000, "nanoseconds": nanos % 1_000_000_000}


def _clock_from(start: datetime) -> Any:
    """A wall clock that starts at ``start`` and advances in real time."""
    if start.tzinfo is None:
        raise InputError("now", "wrong-type", "a datetime with a time zone is needed (naive given)")
    origin, began = start.timestamp(), time.monotonic()
    return lambda: origin + (time.monotonic() - began)
