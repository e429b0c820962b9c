"""The shapes a type checker knows for the action's inputs.

A config is a ``dict`` keyed by the WIT field names (``"api-key"``), so its
type is a :class:`~typing.TypedDict` in the functional syntax (the names hold
``-``): :data:`Config`. The same keys in snake_case (``"api_key"``), which the
package also takes, are :class:`SnakeConfig`. Every key is optional here, as
in the JSON the core reads: the component names what is missing
(``check``, or an ``Invalid`` outcome), a wrong type or unknown key is an
:class:`~siptel_sms.InputError` from the core. The WIT (``wit/``) documents
each field, its default and its limits.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Literal, TypedDict, Union

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
Purpose = Literal["transactional", "promotional"]
Language = Literal["es", "en"]
EncodingPolicy = Literal["auto", "gsm7-transliterate", "ucs2"]


class CampaignVariable(TypedDict):
    """One of a campaign's variables (WIT ``campaign-variable``)."""

    name: str
    value: str


class _EntityRequired(TypedDict):
    name: str
    value: str


class Entity(_EntityRequired, total=False):
    """A flow variable (WIT ``entity``); ``kind`` is optional (``phone``, ...)."""

    kind: str | None


#: The action's config (WIT ``config``), keyed by the WIT names.
Config = TypedDict(
    "Config",
    {
        "api-key": str,
        "sender": str,
        "recipient": str,
        "message": Union[str, None],
        "purpose": Union[Purpose, None],
        "opt-out": Union[str, None],
        "window-start": str,
        "window-end": str,
        "weekdays": Collection[Weekday],
        "send-on-holidays": Union[bool, None],
        "closed-dates": Sequence[Union[str, date]],
        "campaign": Union[str, None],
        "campaign-variables": Sequence[CampaignVariable],
        "rut": Union[str, None],
        "error-intent": Union[str, None],
        "time-zone": Union[str, None],
        "max-attempts": Union[int, None],
        "base-url": Union[str, None],
        "language": Union[Language, None],
        "encoding": Union[EncodingPolicy, None],
        "max-segments": Union[int, None],
        "idempotency-key": Union[str, None],
        "attempt-timeout-ms": Union[int, None],
        "deadline-ms": Union[int, None],
    },
    total=False,
)


class SnakeConfig(TypedDict, total=False):
    """:data:`Config` with its keys in snake_case (``api_key``)."""

    api_key: str
    sender: str
    recipient: str
    message: str | None
    purpose: Purpose | None
    opt_out: str | None
    window_start: str
    window_end: str
    weekdays: Collection[Weekday]
    send_on_holidays: bool | None
    closed_dates: Sequence[str | date]
    campaign: str | None
    campaign_variables: Sequence[CampaignVariable]
    rut: str | None
    error_intent: str | None
    time_zone: str | None
    max_attempts: int | None
    base_url: str | None
    language: Language | None
    encoding: EncodingPolicy | None
    max_segments: int | None
    idempotency_key: str | None
    attempt_timeout_ms: int | None
    deadline_ms: int | None


#: What ``send``, ``check`` and ``preview`` take as a config.
AnyConfig = Union[Config, SnakeConfig]

#: Flow variables: ``{name: value}``, or a list of :class:`Entity`.
Entities = Union[Mapping[str, str], Sequence[Entity]]
