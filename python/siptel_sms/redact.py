"""Keeps API keys out of the guest output this host passes on.

The captured stdout and stderr of a call are scrubbed of the config's API
key (as written, and with its flow variables replaced by the entities'
values) and of every host secret, even a key the output cap cut in two.
The component prints nothing; this holds for any guest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .secrets import SECRET_PREFIX

#: What a key is replaced with.
REDACTED = "[redacted]"

#: Shorter strings are left alone: a key that short protects nothing.
MIN_LEN = 4

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")


def render(template: str, entities: Mapping[str, str]) -> str:
    """``template`` with ``{{name}}`` replaced (``{{{{`` is a literal ``{{``)."""
    parts = template.split("{{{{")
    rendered = [_PLACEHOLDER.sub(lambda m: entities.get(m.group(1), m.group(0)), p) for p in parts]
    return "{{".join(rendered)


class Redactor:
    """The keys one call's output must not show, longest first."""

    def __init__(self, secrets: Iterable[str], api_key: str | None, entities: Mapping[str, str]) -> None:
        keys = set(secrets)
        if api_key:
            keys |= {api_key, render(api_key, entities)}
        self.keys = sorted(
            (k for k in keys if len(k) >= MIN_LEN and not k.startswith(SECRET_PREFIX)),
            key=lambda k: (-len(k), k),
        )

    def scrub(self, text: str) -> str:
        for key in self.keys:
            text = text.replace(key, REDACTED)
        # A tail that starts a key: the output cap cut it.
        cut = max((n for key in self.keys for n in range(MIN_LEN, len(key)) if text.endswith(key[:n])), default=0)
        return text[: len(text) - cut] + REDACTED if cut else text
