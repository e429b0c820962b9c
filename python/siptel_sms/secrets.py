"""Secrets stay outside the sandbox, and belong to a tenant.

The host holds API keys by name (:class:`Vault`, from ``SiptelSms(secrets=)``);
each call is granted the names it may use (``send(..., secrets={"tenant_a"})``).
A config carries ``secret:<name>`` as its API key, the component sends
``Authorization: Bearer secret:<name>``, and the egress policy
(:mod:`siptel_sms.egress`) puts the real key in its place, only when the name
is granted to this call and only on a request inside the call's scope.

Before that, :func:`refusal` refuses a config whose ``secret:<name>`` this
call may not use before the guest runs, as the Rust host does
(``host-harness/src/host.rs``, ``secret_refusal``); the egress check is the
second line. A name not granted and a name the host does not hold get the
same answer, so a tenant cannot probe for other tenants' names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

#: What an API key starts with when it names a key the host holds
#: (``SECRET_PREFIX`` in ``src/secret.rs``).
SECRET_PREFIX = "secret:"

#: A secret name: 1 to 64 of ``[A-Za-z0-9_.-]`` (``is_valid_name`` in ``src/secret.rs``).
_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,64}")

#: Longest excerpt of a value a message quotes (``QUOTE_CHARS`` in ``src/text.rs``).
QUOTE_CHARS = 40


def reference(api_key: str) -> str | None:
    """The name of a ``secret:<name>`` reference as written, or ``None`` for a
    literal key. The prefix is case-sensitive."""
    return api_key[len(SECRET_PREFIX) :] if api_key.startswith(SECRET_PREFIX) else None


def is_valid_name(name: str) -> bool:
    """Whether ``name`` is a secret name: 1 to 64 of ``[A-Za-z0-9_.-]``."""
    return _NAME.fullmatch(name) is not None


def is_valid_key(key: str) -> bool:
    """Whether ``key`` can go out as ``Bearer <key>``: visible ASCII, no spaces."""
    return bool(key) and all(0x21 <= ord(c) <= 0x7E for c in key)


class Vault:
    """Every key the host holds, by name. ``repr`` shows the names only."""

    def __init__(self, keys: Mapping[str, str]) -> None:
        for name, key in keys.items():
            if not isinstance(name, str) or not is_valid_name(name):
                raise ValueError(f"secret name {name!r} is not 1 to 64 of [A-Za-z0-9_.-]")
            if not isinstance(key, str) or not is_valid_key(key):
                raise ValueError(f"secret `{name}` is not a valid API key")
        self._keys = dict(keys)

    def key(self, name: str, grant: frozenset[str]) -> str | None:
        """The key of ``name`` when ``grant`` allows it and the host holds it."""
        return self._keys.get(name) if name in grant else None

    def keys(self) -> Iterable[str]:
        """The keys themselves, for scrubbing output."""
        return self._keys.values()

    def __repr__(self) -> str:
        return f"Vault({sorted(self._keys)})"


def quote(value: str) -> str:
    """``value`` as a message may quote it (``text::quote``): at most 40
    characters, then ``…``. Only valid names are quoted here, and they hold
    no control characters to escape."""
    return value if len(value) <= QUOTE_CHARS else value[:QUOTE_CHARS] + "…"


def not_granted_message(name: str, language: str | None) -> str:
    """The text of ``SecretError::NotGranted`` (``src/secret.rs``), in the
    config's language (Spanish unless ``en``)."""
    name = quote(name)
    if language == "en":
        return (
            f"This action has no access to the platform secret “{name}”: use a "
            "secret of your account or ask the administrator for access."
        )
    return (
        f"Esta acción no tiene acceso al secreto «{name}» de la plataforma: use "
        "un secreto de su cuenta o pida acceso al administrador."
    )


def refused_name(api_key: str, grant: frozenset[str], vault: Vault) -> str | None:
    """The secret name of ``api_key`` that this call may not use, if any. A
    malformed reference is left to the component, which explains it."""
    name = reference(api_key)
    if name is None or not is_valid_name(name) or vault.key(name, grant) is not None:
        return None
    return name
