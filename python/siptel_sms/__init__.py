"""The Siptel SMS action (a WebAssembly component) for Python hosts, run in
the Rust host's sandbox through a native extension.

    from siptel_sms import SiptelSms, Sent

    with SiptelSms(siptel_base_url="https://api.siptel.cl") as action:
        match action.send(config, {"name": "Ana"}):
            case Sent(id=siptel_id):
                ...

The component is built into the package (``SiptelSms(wasm)`` loads another
build from a path or bytes). Configs and entities are dicts keyed by the WIT
field names (``api-key``; ``api_key`` works too), typed by :data:`Config`;
outcomes are frozen dataclasses; the sandbox's own failures are
:class:`HostError` exceptions and input that does not fit is an
:class:`InputError` naming its JSON path. Host secrets belong to a tenant:
each call names those it may use (``send(config, entities, secrets={"acme"})``).
:class:`AsyncSiptelSms` is the same for asyncio.
"""

from .action import DEFAULT_BASE_URL, AsyncSiptelSms, Limits, SiptelSms
from .config import AnyConfig, CampaignVariable, Config, Entities, Entity, SnakeConfig
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
    Failed,
    FieldKind,
    FormField,
    IntegerRange,
    Invalid,
    Localized,
    OtherOutcome,
    OtherWindow,
    Outcome,
    Preview,
    Problem,
    Replacement,
    Sent,
    WindowClosed,
    WindowOpen,
    WindowStatus,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "ActionForm",
    "AnyConfig",
    "AsyncSiptelSms",
    "Blocked",
    "Busy",
    "CallTimeout",
    "CampaignVariable",
    "Config",
    "Entities",
    "Entity",
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
    "OtherWindow",
    "Outcome",
    "Preview",
    "Problem",
    "Replacement",
    "Sent",
    "SiptelSms",
    "SiptelSmsError",
    "SnakeConfig",
    "Trap",
    "WindowClosed",
    "WindowOpen",
    "WindowStatus",
]
