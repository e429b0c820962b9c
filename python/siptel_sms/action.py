"""The Siptel SMS action for Python: :class:`SiptelSms` and :class:`AsyncSiptelSms`.

Both are thin: a call's arguments become the JSON the core reads (the
service's bodies: ``{config, entities?, at?}``), the native extension runs it
in the Rust host's sandbox with the GIL released, and the JSON answer becomes
a dataclass or an exception. Every rule (egress scope, secrets per call,
bounded input, deadlines, memory, slots and tenant shares, scrubbing) is the
core's, in ``host-harness/``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import logging
import math
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, TypeVar

from . import _native, model
from .config import AnyConfig, Entities
from .errors import InputError, InvalidConfig, LoadError, from_document

log = logging.getLogger("siptel_sms")
guest_log = logging.getLogger("siptel_sms.guest")
egress_log = logging.getLogger("siptel_sms.egress")

T = TypeVar("T")

#: Where Siptel is, unless the host says otherwise.
DEFAULT_BASE_URL = "https://api.siptel.cl"


@dataclass(frozen=True)
class Limits:
    """Sandbox limits applied to every call (the core's ``Limits``)."""

    #: Seconds a ``check``, ``preview`` or ``describe`` may run, and the least
    #: a ``send`` may (a send also gets its config's ``deadline-ms`` plus 5 s).
    call_timeout: float = 10.0
    #: Largest linear memory of one instance, in bytes.
    memory_bytes: int = 16 << 20
    #: Bytes of guest stdout and of stderr kept per call.
    output_bytes: int = 64 << 10
    #: Calls that run at once; further calls wait for a slot.
    concurrent_calls: int = 128
    #: Of those slots, how many only quick calls (``check``, ``preview``,
    #: ``describe``) may take, so a design-time check answers while sends wait.
    quick_reserve: int = 8
    #: Most slots the calls of one tenant (``tenant=``) hold at once.
    tenant_slots: int = 32
    #: Seconds a call waits for a slot before failing with ``Busy``.
    slot_wait: float = 2.0

    def _json(self) -> dict[str, Any]:
        return {
            "call-timeout-ms": _millis(self.call_timeout, "options.limits.call-timeout-ms"),
            "memory-bytes": self.memory_bytes,
            "output-bytes": self.output_bytes,
            "concurrent-calls": self.concurrent_calls,
            "quick-reserve": self.quick_reserve,
            "tenant-slots": self.tenant_slots,
            "slot-wait-ms": _millis(self.slot_wait, "options.limits.slot-wait-ms"),
        }


class SiptelSms:
    """The Siptel SMS component, loaded once and called in a fresh sandbox per
    call. Safe to call from several threads at once; each call releases the
    GIL while the core runs it.

    ``wasm`` is the component: ``None`` for the one built into the package,
    or a path or the bytes of another build. ``siptel_base_url`` is the only
    place calls may reach (scheme, host, port and path prefix), whatever a
    config's ``base-url`` says; ``secrets`` maps names to API keys that never
    enter the sandbox, for every tenant: each call names those it may use
    (``secrets=``); ``tls_roots_pem`` adds trusted certificates for HTTPS;
    ``compile_cache`` is ``True`` (``$SIPTEL_SMS_CACHE_DIR``, else the user's
    cache directory), ``False``, or a directory for the compiled component.

    After :meth:`close` (or the ``with`` block) a call loads the component
    again. In a ``fork``-ed child the first call loads it again too (the
    parent's runtime threads do not survive ``fork``).
    """

    def __init__(
        self,
        wasm: str | os.PathLike[str] | bytes | None = None,
        *,
        siptel_base_url: str = DEFAULT_BASE_URL,
        limits: Limits = Limits(),
        secrets: Mapping[str, str] | None = None,
        tls_roots_pem: str | None = None,
        compile_cache: bool | str | os.PathLike[str] = True,
        pooling: bool = True,
    ) -> None:
        options: dict[str, Any] = {
            "siptel-base-url": siptel_base_url,
            "limits": limits._json(),
            "secrets": dict(secrets) if isinstance(secrets, Mapping) else secrets or {},
            "pooling": pooling,
            "compile-cache": compile_cache if isinstance(compile_cache, bool) else os.fspath(compile_cache),
        }
        if tls_roots_pem is not None:
            options["tls-roots-pem"] = tls_roots_pem
        self._source = "the embedded component" if wasm is None else repr(_describe_source(wasm))
        self._base_url = siptel_base_url
        self._secret_names = sorted(options["secrets"]) if isinstance(options["secrets"], dict) else []
        self.limits = limits
        try:
            self._binding = _native.Binding(_read_wasm(wasm), _encode(options, "options"))
        except _native.LoadFailed as failed:
            raise from_document(json.loads(failed.args[0])["error"]) from None

    def __repr__(self) -> str:
        # Secret names only, never a key.
        return (
            f"SiptelSms({self._source}, siptel_base_url={self._base_url!r}, "
            f"secrets={self._secret_names!r}, limits={self.limits!r})"
        )

    def close(self) -> None:
        """Drops the loaded component, its runtime and kept connections."""
        self._binding.close()

    def __enter__(self) -> SiptelSms:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the four functions -----------------------------------------------------

    def describe(self, *, tenant: str | None = None) -> model.ActionForm:
        """The action's form: each field's id, kind, default, length, label and help."""
        return model.ActionForm.from_json(self._call("describe", b"", _options(tenant=tenant)))

    def check(
        self,
        config: AnyConfig,
        *,
        secrets: Iterable[str] = (),
        tenant: str | None = None,
        siptel_base_url: str | None = None,
    ) -> list[model.Problem]:
        """Design-time validation (placeholders allowed, no network): every
        problem, in a stable order; empty when the config is valid.
        ``secrets`` are the host secret names this call may use."""
        body = {"config": _config(config)}
        options = _options(secrets=secrets, tenant=tenant, siptel_base_url=siptel_base_url)
        return model.problems(self._call("check", _encode(body), options))

    def preview(
        self,
        config: AnyConfig,
        entities: Entities = (),
        at: datetime | float | str | None = None,
        *,
        secrets: Iterable[str] = (),
        tenant: str | None = None,
        siptel_base_url: str | None = None,
    ) -> model.Preview:
        """What ``send`` would send at ``at`` (an aware datetime, Unix seconds
        or RFC 3339; default now), without network. Raises
        :class:`InvalidConfig` with every problem when there are some."""
        body: dict[str, Any] = {"config": _config(config), "entities": _entities(entities)}
        if at is not None:
            body["at"] = _instant(at, "at")
        options = _options(secrets=secrets, tenant=tenant, siptel_base_url=siptel_base_url)
        answer = self._call("preview", _encode(body), options)
        if isinstance(answer, list):
            raise InvalidConfig(model.problems(answer))
        return model.Preview.from_json(answer)

    def send(
        self,
        config: AnyConfig,
        entities: Entities = (),
        *,
        secrets: Iterable[str] = (),
        tenant: str | None = None,
        now: datetime | float | str | None = None,
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
        body = {"config": _config(config), "entities": _entities(entities)}
        options = _options(
            secrets=secrets,
            tenant=tenant,
            siptel_base_url=siptel_base_url,
            wall_clock=None if now is None else _instant(now, "options.wall-clock"),
        )
        return model.outcome(self._call("send", _encode(body), options))

    def call_json(
        self,
        export: str,
        body: Mapping[str, Any] | None = None,
        *,
        secrets: Iterable[str] = (),
        tenant: str | None = None,
        now: datetime | float | str | None = None,
        siptel_base_url: str | None = None,
    ) -> Any:
        """``export`` (``send``, ``check``, ``preview``, ``describe``) with the
        body the HTTP service takes (``{"config": ..., "entities": ...,
        "at": ...}``), answering the action's JSON as plain values (the
        outcome as ``{"type": "sent", ...}``), for hosts that keep or
        forward JSON. Errors are raised as by the typed methods."""
        options = _options(
            secrets=secrets,
            tenant=tenant,
            siptel_base_url=siptel_base_url,
            wall_clock=None if now is None else _instant(now, "options.wall-clock"),
        )
        return self._call(export, b"" if body is None else _encode(body), options)

    # -- plumbing ------------------------------------------------------------------

    def _call(self, export: str, body: bytes, options: bytes) -> Any:
        document = json.loads(self._binding.call(export, body, options).decode())
        error = document.get("error")
        if error is not None:
            raise from_document(error)
        for stream in ("stdout", "stderr"):
            if document.get(stream):
                guest_log.debug("%s %s: %s", export, stream, document[stream])
        for denied in document.get("denied") or ():
            egress_log.warning("%s: the egress policy refused a request to %s", export, denied)
        return document.get("ok")


class AsyncSiptelSms:
    """:class:`SiptelSms` for asyncio: the same methods, awaited.

    Each call runs the blocking native call on a worker thread (the GIL is
    released while the core works), so the event loop never waits on a
    send. The threads are this object's own pool, at most
    ``limits.concurrent_calls`` of them, started on demand: the core's slots
    and tenant shares decide who waits (``Busy``), not a small default
    executor. A cancelled call stops waiting, but the send it started runs
    to its end in the core (deadlines bound it), so never assume a
    cancelled send sent nothing. The pool is made again in a ``fork``-ed
    child.
    """

    def __init__(self, wasm: str | os.PathLike[str] | bytes | None = None, **options: Any) -> None:
        self.sync = SiptelSms(wasm, **options)
        self._pool_lock = threading.Lock()
        self._pool: tuple[int, ThreadPoolExecutor] | None = None

    def __repr__(self) -> str:
        return f"Async{self.sync!r}"

    async def describe(self, *, tenant: str | None = None) -> model.ActionForm:
        return await self._run(self.sync.describe, tenant=tenant)

    async def check(self, config: AnyConfig, **options: Any) -> list[model.Problem]:
        return await self._run(self.sync.check, config, **options)

    async def preview(
        self, config: AnyConfig, entities: Entities = (), at: datetime | float | str | None = None, **options: Any
    ) -> model.Preview:
        return await self._run(self.sync.preview, config, entities, at, **options)

    async def send(self, config: AnyConfig, entities: Entities = (), **options: Any) -> model.Outcome:
        return await self._run(self.sync.send, config, entities, **options)

    async def call_json(self, export: str, body: Mapping[str, Any] | None = None, **options: Any) -> Any:
        return await self._run(self.sync.call_json, export, body, **options)

    async def close(self) -> None:
        """Closes the component and this object's thread pool."""
        await self._run(self.sync.close)
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None and pool[0] == os.getpid():
            pool[1].shutdown(wait=False)

    async def __aenter__(self) -> AsyncSiptelSms:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _run(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor(), functools.partial(method, *args, **kwargs))

    def _executor(self) -> ThreadPoolExecutor:
        pid = os.getpid()
        with self._pool_lock:
            if self._pool is None or self._pool[0] != pid:
                # A pool inherited through fork has no threads: never reuse it.
                workers = max(1, self.sync.limits.concurrent_calls)
                self._pool = (pid, ThreadPoolExecutor(workers, thread_name_prefix="siptel-sms"))
            return self._pool[1]


# -- values to JSON: the only conversion -------------------------------------------


def _config(config: Any) -> Any:
    """A config as a JSON object: its keys as WIT names (snake_case taken too)."""
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        config = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    if not isinstance(config, Mapping):
        return config  # the core names it: `config` not-an-object
    try:
        # A missing option is None: absent.
        wit = {key.replace("_", "-"): value for key, value in config.items() if value is not None}
    except AttributeError:  # a key that is no text: the core names it
        return config
    if len(wit) != sum(1 for value in config.values() if value is not None):
        seen: set[str] = set()
        for key in config:
            name = key.replace("_", "-")
            if name in seen:
                raise InputError.one(f"config.{name}", "duplicate-field", f"{key!r} names {name!r} again")
            seen.add(name)
    return wit


def _entities(entities: Any) -> Any:
    if isinstance(entities, Mapping) or isinstance(entities, (str, bytes)):
        return entities
    if isinstance(entities, Iterable):
        return list(entities)
    return entities


def _options(
    *,
    secrets: Any = (),
    tenant: str | None = None,
    siptel_base_url: str | None = None,
    wall_clock: str | None = None,
) -> bytes:
    if secrets == () and tenant is None and siptel_base_url is None and wall_clock is None:
        return b""  # the defaults
    options: dict[str, Any] = {}
    if isinstance(secrets, (str, bytes)) or not isinstance(secrets, Iterable):
        options["secrets"] = secrets  # the core names it: options.secrets wrong-type
    elif secrets:
        options["secrets"] = list(secrets)
    if tenant is not None:
        options["tenant"] = tenant
    if siptel_base_url is not None:
        options["siptel-base-url"] = siptel_base_url
    if wall_clock is not None:
        options["wall-clock"] = wall_clock
    return _encode(options, "options")


def _instant(at: datetime | float | str, field: str) -> str:
    """An RFC 3339 instant from an aware ``datetime`` or Unix seconds (text
    is passed on for the core to judge)."""
    if isinstance(at, str):
        return at
    if isinstance(at, datetime):
        if at.tzinfo is None or at.utcoffset() is None:
            raise InputError.one(field, "not-an-instant", "a datetime with a time zone is needed (naive given)")
        return at.isoformat()
    if isinstance(at, (int, float)) and not isinstance(at, bool) and math.isfinite(at) and at >= 0:
        return datetime.fromtimestamp(at, timezone.utc).isoformat()
    raise InputError.one(field, "not-an-instant", f"expected an aware datetime or Unix seconds, got {type(at).__name__}")


def _millis(seconds: float, field: str) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
        raise InputError.one(field, "wrong-type", f"expected seconds, got {type(seconds).__name__}")
    return round(seconds * 1000)


def _plain(value: Any) -> Any:
    """``json.dumps``' hook for what JSON has no literal for."""
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("naive datetime")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return list(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name.replace("_", "-"): getattr(value, f.name) for f in dataclasses.fields(value)}
    raise TypeError(type(value).__name__)


_ENCODER = json.JSONEncoder(default=_plain, allow_nan=False, ensure_ascii=False, separators=(",", ":"))


def _encode(value: Any, root: str = "") -> bytes:
    """``value`` as UTF-8 JSON; what has no JSON form is an :class:`InputError`
    naming its path."""
    try:
        return _ENCODER.encode(value).encode()
    except (TypeError, ValueError, UnicodeEncodeError):
        path, why = _find_unencodable(value, root)
        raise InputError.one(path or root or "body", "wrong-type", why) from None


def _find_unencodable(value: Any, path: str) -> tuple[str, str]:
    """The first part of ``value`` that :func:`_encode` cannot write, and why."""
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return path, "the text holds a lone surrogate, which UTF-8 cannot carry"
        return "", ""
    if isinstance(value, float) and not math.isfinite(value):
        return path, f"{value} is no JSON number"
    if value is None or isinstance(value, (bool, int, float)):
        return "", ""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return path, f"keys are text, got {type(key).__name__}"
            found = _find_unencodable(item, f"{path}.{key}" if path else key)
            if found[0]:
                return found
        return "", ""
    try:
        converted = _plain(value)
    except TypeError:
        what = "a naive datetime (give it a time zone)" if isinstance(value, datetime) else type(value).__name__
        return path, f"{what} has no JSON form"
    if isinstance(converted, list):
        for i, item in enumerate(converted):
            found = _find_unencodable(item, f"{path}[{i}]")
            if found[0]:
                return found
        return "", ""
    return _find_unencodable(converted, path)


def _read_wasm(wasm: str | os.PathLike[str] | bytes | None) -> bytes | None:
    if wasm is None:
        return None
    if isinstance(wasm, (bytes, bytearray, memoryview)):
        return bytes(wasm)
    try:
        with open(wasm, "rb") as file:
            return file.read()
    except OSError as error:
        raise LoadError(f"cannot read the component at {os.fspath(wasm)!r}: {error.strerror}") from error


def _describe_source(wasm: str | os.PathLike[str] | bytes) -> str:
    if isinstance(wasm, (bytes, bytearray, memoryview)):
        return f"<{len(wasm)} bytes>"
    return os.fspath(wasm)
