"""The Siptel SMS action (a WebAssembly component) for Python hosts.

    from siptel_sms import SiptelSms, Sent, Failed

    with SiptelSms("siptel_sms.wasm") as action:
        outcome = action.send(config, {"name": "Ana"})
        if isinstance(outcome, Sent):
            ...

Configs and entities are dicts keyed by the WIT field names (``api-key``;
``api_key`` works too); outcomes are dataclasses; the sandbox's own failures
are :class:`HostError` exceptions. Host secrets belong to a tenant: each call
names those it may use (``send(config, entities, secrets={"tenant_a"})``).
"""

from .action import DEFAULT_BASE_URL, SiptelSms
from .errors import (
    Busy,
    CallTimeout,
    HostError,
    InputError,
    InvalidConfig,
    LoadError,
    MemoryLimit,
    SiptelSmsError,
    Trap,
)
from .model import (
    ActionForm,
    Blocked,
    CampaignVariable,
    Failed,
    FieldKind,
    FormField,
    IntegerRange,
    Invalid,
    Localized,
    OtherOutcome,
    Outcome,
    Preview,
    Problem,
    Replacement,
    Sent,
    WindowClosed,
    WindowOpen,
    WindowStatus,
)
from .sandbox import Limits
from .values import Case

__all__ = [
    "DEFAULT_BASE_URL",
    "ActionForm",
    "Blocked",
    "Busy",
    "CallTimeout",
    "CampaignVariable",
    "Case",
    "Failed",
    "FieldKind",
    "FormField",
    "HostError",
    "InputError",
    "IntegerRange",
    "Invalid",
    "InvalidConfig",
    "Limits",
    "LoadError",
    "Localized",
    "MemoryLimit",
    "OtherOutcome",
    "Outcome",
    "Preview",
    "Problem",
    "Replacement",
    "Sent",
    "SiptelSms",
    "SiptelSmsError",
    "Trap",
    "WindowClosed",
    "WindowOpen",
    "WindowStatus",
]
