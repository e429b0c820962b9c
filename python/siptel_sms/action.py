"""The Siptel SMS action for Python: :class:`SiptelSms`."""

from __future__ import annotations

import copy
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import model
from .bounds import MAX_PROBLEMS, Bounds
from .errors import HostError, InputError, InvalidConfig
from .sandbox import Limits, Sandbox
from .secrets import not_granted_message, refused_name
from .values import NO_RESOURCES, Err, Ok, RecordSchema

log = logging.getLogger("siptel_sms")

#: The exported interface, without its version.
INTERFACE = "siptel:sms/action"

#: Where Siptel is, unless the host says otherwise.
DEFAULT_BASE_URL = "https://api.siptel.cl"

#: The component's default ``deadline-ms`` (its form says so too; a test
#: keeps the two equal).
DEFAULT_DEADLINE_MS = 30_000

#: The config fields and problem code the secret refusal names.
API_KEY = "api-key"
LANGUAGE = "language"
NOT_ALLOWED = "not-allowed"

#: What the component sees instead of a ``secret:`` reference this call may
#: not use, while the host collects the config's other problems: a literal
#: key that passes validation and is never sent (only ``check`` and
#: ``preview`` run with it). The Rust host's ``WITHHELD_KEY``.
WITHHELD_KEY = "secret-withheld-by-host"

#: A config or an entity: a dict keyed by WIT field names (kebab-case, or
#: snake_case), or a dataclass instance with those fields.
Record = Any


class SiptelSms:
    """The Siptel SMS component, compiled once and called in a fresh sandbox
    per call. Safe to call from several threads at once.

    ``siptel_base_url`` is the only place calls may reach (scheme, host, port
    and path prefix), whatever a config's ``base-url`` says; ``secrets`` maps
    names to API keys that never enter the sandbox, for every tenant: each
    call names those it may use (``secrets=`` of :meth:`send`, :meth:`check`,
    :meth:`preview`); ``tls_roots_pem`` adds trusted certificates for HTTPS.

    Loading runs the component's ``describe()`` once, for the longest text of
    each field: every call's input is cut one character past it
    (:mod:`siptel_sms.bounds`), which changes no outcome and bounds what
    enters the sandbox.
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
        try:
            self._bounds = self._read_bounds()
        except BaseException:
            self._sandbox.close()
            raise

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
        return self._config_schema().names

    @property
    def bounds(self) -> Bounds:
        """The longest text of each config field, as this component's form gives it."""
        return self._bounds

    # -- the four functions -----------------------------------------------------

    def describe(self, *, tenant: str | None = None) -> model.ActionForm:
        """The action's form: each field's id, kind, default, length, label and help."""
        return model.ActionForm.from_wit(self._run("describe", [], tenant=tenant))

    def check(
        self, config: Record, *, secrets: Iterable[str] = (), tenant: str | None = None
    ) -> list[model.Problem]:
        """Design-time validation (placeholders allowed, no network): every
        problem, in a stable order; empty when the config is valid.
        ``secrets`` are the host secret names this call may use."""
        call = _Call(self._grant(secrets), tenant)
        lowered = self._lower("check", 0, config)
        refusal = self._secret_refusal(lowered, call.grant)
        if refusal is not None:
            return self._with_other_problems(refusal, lowered, None, None, call)
        return self._check(lowered, call)

    def preview(
        self,
        config: Record,
        entities: Any = (),
        at: datetime | float | None = None,
        *,
        secrets: Iterable[str] = (),
        tenant: str | None = None,
    ) -> model.Preview:
        """What ``send`` would send at ``at`` (default now), without network.
        Raises :class:`InvalidConfig` with every problem when there are some."""
        call = _Call(self._grant(secrets), tenant)
        lowered = self._lower("preview", 0, config)
        listed = self._lower("preview", 1, _entity_list(entities))
        instant = self._lower("preview", 2, _instant(at))
        refusal = self._secret_refusal(lowered, call.grant)
        if refusal is not None:
            raise InvalidConfig(self._with_other_problems(refusal, lowered, listed, instant, call))
        answer = self._preview(lowered, listed, instant, call)
        if isinstance(answer, Err):
            raise InvalidConfig(model.problems(answer.value))
        assert isinstance(answer, Ok)
        return model.Preview.from_wit(answer.value)

    def send(
        self,
        config: Record,
        entities: Any = (),
        *,
        secrets: Iterable[str] = (),
        tenant: str | None = None,
        now: datetime | None = None,
        siptel_base_url: str | None = None,
    ) -> model.Outcome:
        """Sends one SMS: :class:`~model.Sent`, :class:`~model.Blocked`,
        :class:`~model.Invalid` or :class:`~model.Failed`.

        ``secrets`` are the host secret names this call may use (its
        tenant's); ``tenant`` is whose share of the slots the call takes;
        ``now`` places the call at another instant (its wall clock then
        advances in real time); ``siptel_base_url`` overrides the host's for
        this call.
        """
        clock = time.time if now is None else _clock_from(now)
        call = _Call(self._grant(secrets), tenant, siptel_base_url, clock)
        lowered = self._lower("send", 0, config)
        listed = self._lower("send", 1, _entity_list(entities))
        refusal = self._secret_refusal(lowered, call.grant)
        if refusal is not None:
            instant = None if now is None else self._lower("preview", 2, _instant(now))
            return model.Invalid(self._with_other_problems(refusal, lowered, listed, instant, call))
        deadline_ms = getattr(lowered, "deadline-ms", None) or DEFAULT_DEADLINE_MS
        limits = self._sandbox.limits
        timeout = max(limits.call_timeout, deadline_ms / 1000 + limits.send_grace)
        bounded, cut = self._bounded("send", lowered), self._bounded_entities("send", listed)
        answer = self._run("send", [bounded, cut], call=call, timeout=timeout, send=True)
        return model.outcome(answer)

    # -- secrets --------------------------------------------------------------------

    @staticmethod
    def _grant(secrets: Iterable[str]) -> frozenset[str]:
        if isinstance(secrets, (str, bytes)) or not isinstance(secrets, Iterable):
            raise InputError("secrets", "wrong-type", "expected a set of secret names")
        names = frozenset(secrets)
        if not all(isinstance(name, str) for name in names):
            raise InputError("secrets", "wrong-type", "secret names are strings")
        return names

    def _secret_refusal(self, config: Any, grant: frozenset[str]) -> model.Problem | None:
        """The ``not-allowed`` problem of a config whose ``secret:<name>`` this
        call may not use (not granted, or not held: the same answer)."""
        name = refused_name(getattr(config, API_KEY), grant, self._sandbox.vault)
        if name is None:
            return None
        schema = self._config_schema().by_name.get(LANGUAGE)
        language = None if schema is None else schema.lift(getattr(config, LANGUAGE), NO_RESOURCES)
        return model.Problem(API_KEY, NOT_ALLOWED, not_granted_message(name, language))

    def _with_other_problems(
        self, refusal: model.Problem, config: Any, entities: Any, at: Any, call: _Call
    ) -> list[model.Problem]:
        """``refusal`` and every other problem of the config, found by the
        component with the refused reference withheld: ``check`` at design
        time (``entities`` ``None``), else ``preview``. Nothing is sent."""
        withheld = copy.copy(config)
        setattr(withheld, API_KEY, WITHHELD_KEY)
        if entities is None:
            others = self._check(withheld, call)
        else:
            answer = self._preview(withheld, entities, at, call)
            others = model.problems(answer.value) if isinstance(answer, Err) else []
        return [refusal, *others][:MAX_PROBLEMS]

    # -- plumbing ------------------------------------------------------------------

    def _check(self, config: Any, call: _Call) -> list[model.Problem]:
        return model.problems(self._run("check", [self._bounded("check", config)], call=call))

    def _preview(self, config: Any, entities: Any, at: Any, call: _Call) -> Any:
        args = [self._bounded("preview", config), self._bounded_entities("preview", entities), at]
        return self._run("preview", args, call=call)

    def _read_bounds(self) -> Bounds:
        """The longest text of each field, from the component's form. A
        component whose ``describe()`` fails (not this action) gets its
        input cut only by the limits the form does not give."""
        try:
            return Bounds.from_form(self.describe().fields)
        except HostError as error:
            log.warning("the component's form cannot be read (%s): texts are not cut", error)
            return Bounds({})

    def _run(self, export: str, args: list[Any], *, call: _Call | None = None, **options: Any) -> Any:
        call = call or _Call(frozenset(), options.pop("tenant", None))
        options.setdefault("timeout", self._sandbox.limits.call_timeout)
        if export != "describe":
            options.update(api_key=getattr(args[0], API_KEY), entities=_entity_values(args))
        return self._sandbox.run(
            export,
            args,
            tenant=call.tenant,
            grant=call.grant,
            wall_clock=call.wall_clock,
            siptel_base_url=call.siptel_base_url,
            **options,
        )

    def _config_schema(self) -> RecordSchema:
        schema = self._sandbox.signature("check").params[0][1]
        assert isinstance(schema, RecordSchema)
        return schema

    def _lower(self, export: str, position: int, value: Any) -> Any:
        name, schema = self._sandbox.signature(export).params[position]
        return schema.lower(value, name, NO_RESOURCES)

    def _bounded(self, export: str, config: Any) -> Any:
        schema = self._sandbox.signature(export).params[0][1]
        assert isinstance(schema, RecordSchema)
        return self._bounds.config(schema, config)

    def _bounded_entities(self, export: str, entities: list[Any]) -> list[Any]:
        return self._bounds.entities(self._sandbox.signature(export).params[1][1], entities)


@dataclass(frozen=True)
class _Call:
    """What one call may use: secret names, its tenant, where and when."""

    grant: frozenset[str]
    tenant: str | None
    siptel_base_url: str | None = None
    wall_clock: Callable[[], float] = time.time


def _entity_list(entities: Any) -> Any:
    """Entities as a list: a mapping of name to value is taken as such."""
    if isinstance(entities, Mapping):
        return [{"name": name, "value": value} for name, value in entities.items()]
    if isinstance(entities, Iterable) and not isinstance(entities, (str, bytes)):
        return list(entities)
    return entities


def _entity_values(args: list[Any]) -> dict[str, str]:
    """The entities of lowered ``args`` (none for ``check``), name to value."""
    entities = args[1] if len(args) > 1 else []
    return {getattr(e, "name"): getattr(e, "value") for e in entities}


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
