"""What the action answers, as typed Python values.

Built from the core's JSON answers (objects keyed by WIT names, variants
tagged by ``"type"``), tolerantly: a field these classes do not know yet
lands in ``extra`` (by its WIT name), a field they expect but the answer
lacks is ``None``, an enum case they do not know is just another string,
and an outcome case they do not know is an :class:`OtherOutcome`.
Attribute names are the WIT names in snake_case. All are frozen
dataclasses, so ``match`` works on them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, Union

C = TypeVar("C")


_NAMES: dict[type, tuple[tuple[str, str], ...]] = {}


def _names(cls: type) -> tuple[tuple[str, str], ...]:
    """The fields of the dataclass ``cls`` but ``extra``, with their WIT names."""
    names = _NAMES.get(cls)
    if names is None:
        fields = dataclasses.fields(cls)
        names = _NAMES[cls] = tuple((f.name, f.name.replace("_", "-")) for f in fields if f.name != "extra")
    return names


def _build(cls: type[C], data: Mapping[str, Any], **convert: Callable[[Any], Any]) -> C:
    """An instance of the dataclass ``cls`` from a JSON object."""
    rest = dict(data)
    values: dict[str, Any] = {}
    for name, wit in _names(cls):
        raw = rest.pop(wit, None)
        values[name] = convert[name](raw) if name in convert and raw is not None else raw
    values["extra"] = rest
    return cls(**values)


def _extra() -> Any:
    return field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the config (WIT ``problem``), or with the input's
    shape (:class:`~siptel_sms.InputError`): its ``field``, a stable
    ``code`` and a ``message``."""

    field: str
    code: str
    message: str
    extra: dict[str, Any] = _extra()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Problem:
        return _build(cls, data)


def problems(items: list[Mapping[str, Any]]) -> list[Problem]:
    return [Problem.from_json(item) for item in items]


# -- the outcomes of `send` -----------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """Siptel accepted the message: continue the flow."""

    id: str
    status: str
    segments: int
    attempts: int
    idempotency_key: str
    campaign: str | None
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class Blocked:
    """Outside the sending window, nothing was sent: retry at ``next_allowed``
    (RFC 3339 with the zone's offset), ``wait_seconds`` from now."""

    reason: str
    next_allowed: str
    wait_seconds: int
    description: str
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class Invalid:
    """The config (after flow variables) is wrong; nothing was sent."""

    problems: list[Problem]


@dataclass(frozen=True)
class Failed:
    """The send failed for good: trigger ``error_intent`` with ``description``.

    ``possibly_sent`` is true when Siptel may have accepted the message (an
    attempt timed out, lost its connection after the request went out, or
    got a 2xx it could not read; code ``unconfirmed`` among others). Then
    never re-run the send with a new key: check at Siptel, or re-run it with
    config ``idempotency-key`` set to ``idempotency_key``, which can never
    send a second SMS. When false, nothing was sent."""

    error_intent: str
    code: str
    description: str
    attempts: int
    last_status: int | None
    idempotency_key: str
    possibly_sent: bool
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class OtherOutcome:
    """An outcome case this package does not know yet (a newer component)."""

    case: str
    value: Any


Outcome = Union[Sent, Blocked, Invalid, Failed, OtherOutcome]


def outcome(data: Mapping[str, Any]) -> Outcome:
    """The typed outcome of a JSON ``outcome`` (``{"type": "sent", ...}``)."""
    rest = dict(data)
    case = rest.pop("type", None)
    if case == "sent":
        return _build(Sent, rest)
    if case == "blocked":
        return _build(Blocked, rest)
    if case == "invalid":
        return Invalid(problems(rest.get("problems") or []))
    if case == "failed":
        return _build(Failed, rest)
    return OtherOutcome(str(case), rest)


# -- preview --------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignVariable:
    name: str
    value: str
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class Replacement:
    """A character ``gsm7-transliterate`` replaced, and how often."""

    original: str
    replacement: str
    count: int
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class WindowOpen:
    """Sending is allowed at the evaluated instant."""


@dataclass(frozen=True)
class WindowClosed:
    """Sending is not allowed at the evaluated instant; see ``blocked``."""

    blocked: Blocked


@dataclass(frozen=True)
class OtherWindow:
    """A window case this package does not know yet (a newer component)."""

    case: str
    value: Any


WindowStatus = Union[WindowOpen, WindowClosed, OtherWindow]


def window_status(data: Mapping[str, Any]) -> WindowStatus:
    rest = dict(data)
    case = rest.pop("type", None)
    if case == "open":
        return WindowOpen()
    if case == "closed":
        return WindowClosed(_build(Blocked, rest))
    return OtherWindow(str(case), rest)


@dataclass(frozen=True)
class Preview:
    """What ``send`` would send, computed without network (WIT ``send-preview``)."""

    sender: str
    recipient: str
    message: str | None
    campaign: str | None
    campaign_variables: list[CampaignVariable]
    encoding: str
    units: int
    segments: int
    ucs2_characters: list[str]
    replacements: list[Replacement]
    transliterated_segments: int | None
    rut: str | None
    error_intent: str
    window: WindowStatus
    extra: dict[str, Any] = _extra()

    @property
    def window_open(self) -> bool:
        return isinstance(self.window, WindowOpen)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Preview:
        return _build(
            cls,
            data,
            campaign_variables=lambda items: [_build(CampaignVariable, i) for i in items],
            replacements=lambda items: [_build(Replacement, i) for i in items],
            window=window_status,
        )


# -- describe -------------------------------------------------------------------


@dataclass(frozen=True)
class Localized:
    """A text in every language the component speaks."""

    es: str
    en: str
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class IntegerRange:
    min: int
    max: int
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class FieldKind:
    """How a form field is rendered: ``name`` is the WIT case (``secret``,
    ``choice``, ``integer`` ...); ``choices`` for ``choice``, ``range`` for
    ``integer``; ``value`` is the payload of a case this package does not know."""

    name: str
    choices: list[str] | None = None
    range: IntegerRange | None = None
    value: Any = None


def field_kind(data: Mapping[str, Any]) -> FieldKind:
    rest = dict(data)
    case = str(rest.pop("type", None))
    if case == "choice":
        return FieldKind(case, choices=list(rest.get("values") or []))
    if case == "integer":
        return FieldKind(case, range=_build(IntegerRange, rest))
    return FieldKind(case, value=rest or None)


@dataclass(frozen=True)
class FormField:
    """One field of the action's form; ``id`` is the config key it fills."""

    id: str
    kind: FieldKind
    required: bool
    default_value: str | None
    accepts_variables: bool
    #: Longest text accepted, in characters (for ``campaign-variables``, of
    #: each value); ``None`` for fields that are not text.
    max_length: int | None
    label: Localized
    help: Localized
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True)
class ActionForm:
    """The action's form (WIT ``action-form``), to render it from the component.
    ``versions`` (component, tzdata, phone metadata, holiday years) is kept
    as the component gives it."""

    name: Localized
    summary: Localized
    fields: list[FormField]
    versions: dict[str, str] | None = None
    extra: dict[str, Any] = _extra()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ActionForm:
        def localized(d: Mapping[str, Any]) -> Localized:
            return _build(Localized, d)

        def form_field(d: Mapping[str, Any]) -> FormField:
            return _build(FormField, d, kind=field_kind, label=localized, help=localized)

        return _build(
            cls,
            data,
            name=localized,
            summary=localized,
            fields=lambda items: [form_field(i) for i in items],
            versions=dict,
        )

    def field(self, id: str) -> FormField:
        """The field that fills config key ``id``."""
        for f in self.fields:
            if f.id == id:
                return f
        raise KeyError(id)
