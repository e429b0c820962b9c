"""The host's policies as plain functions: the egress scope, secrets by
tenant, slots, and scrubbing. The scope and secret cases mirror the Rust
host's unit tests (host-harness/src/egress.rs, secrets.rs, admission.rs)."""

from __future__ import annotations

import threading
import time

import pytest

from siptel_sms import Busy
from siptel_sms.admission import Admission
from siptel_sms.egress import Authority, Egress, Pool, Scope, normalized_segments, tls_context
from siptel_sms.redact import REDACTED, Redactor, render
from siptel_sms.secrets import Vault, not_granted_message, refused_name


def admits(scope: Scope, url: str) -> bool:
    """Whether ``scope`` admits a request for the absolute ``url``."""
    scheme, _, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    return scope.admits(Authority.parse(scheme == "https", authority), slash + path)


class TestScope:
    def test_default_ports_are_made_explicit(self) -> None:
        assert str(Scope.of_base_url("https://api.siptel.cl")) == "https://api.siptel.cl:443"
        assert admits(Scope.of_base_url("https://api.siptel.cl"), "https://API.siptel.cl:443/v1/sms")
        assert str(Scope.of_base_url("http://[::1]")) == "http://[::1]:80"
        assert admits(Scope.of_base_url("http://[::1]:9000"), "http://[::1]:9000/v1/sms")
        assert Scope.of_base_url("http://[::1]:9000").authority.host == "::1"

    @pytest.mark.parametrize(
        "other",
        [
            "https://127.0.0.1:8080/v1/sms",
            "http://127.0.0.1:8081/v1/sms",
            "http://localhost:8080/v1/sms",
            "http://user@127.0.0.1:8080/v1/sms",
        ],
    )
    def test_scheme_host_and_port_must_match(self, other: str) -> None:
        scope = Scope.of_base_url("http://127.0.0.1:8080")
        assert not admits(scope, other)
        assert admits(scope, "http://127.0.0.1:8080/v1/sms")

    @pytest.mark.parametrize(
        "inside",
        [
            "https://gw.example/tenants/a/v1/sms",
            "https://gw.example/tenants/a",
            "https://gw.example/tenants/%61/v1/sms",
            "https://gw.example/tenants/a/./v1/sms",
            "https://gw.example/tenants/a/x/../v1/sms",
            "https://gw.example/tenants/a/v1/sms?dry=1",
        ],
    )
    def test_a_gateway_path_admits_what_lies_under_it(self, inside: str) -> None:
        assert admits(Scope.of_base_url("https://gw.example/tenants/a/"), inside)

    @pytest.mark.parametrize(
        "outside",
        [
            "https://gw.example/tenants/b/v1/sms",
            "https://gw.example/tenants/a/../b/v1/sms",
            "https://gw.example/tenants/a/%2e%2e/b/v1/sms",
            "https://gw.example/tenants/a/%2E%2E/b/v1/sms",
            "https://gw.example/tenants/ab/v1/sms",
            "https://gw.example/tenants/a%2Fv1/sms",
            "https://gw.example/tenants/a/%zz",
            "https://gw.example/v1/sms",
            "https://gw.example/tenants/a/..",
        ],
    )
    def test_a_gateway_path_refuses_everything_else(self, outside: str) -> None:
        assert not admits(Scope.of_base_url("https://gw.example/tenants/a"), outside)

    def test_segments_are_decoded_then_resolved(self) -> None:
        assert normalized_segments("/a/%2e/b/%2E%2e/c/") == (b"a", b"c")
        assert normalized_segments("/../a") == (b"a",)
        assert normalized_segments("/a/%4") is None

    @pytest.mark.parametrize(
        "url",
        [
            "api.siptel.cl",
            "ftp://api.siptel.cl",
            "https://user@api.siptel.cl",
            "https://",
            "https://api.siptel.cl/v1?x=1",
            "https://api.siptel.cl/v1#top",
            "https://api.siptel.cl/a//b",
            "https://api.siptel.cl/a/../b",
            "https://api.siptel.cl/a/%zz",
            "https://api.siptel.cl/a b",
            "https://api.siptel.cl/a\tb",
            "https://api.siptel.cl/ñ",
        ],
    )
    def test_what_is_no_base_url(self, url: str) -> None:
        with pytest.raises(ValueError):
            Scope.of_base_url(url)


class TestSecrets:
    KEYS = {"tenant_a": "KEY-of-A-123", "tenant_b": "KEY-of-B-456"}

    def egress(self, base_url: str, grant: set[str]) -> Egress:
        return Egress(Scope.of_base_url(base_url), Vault(self.KEYS), frozenset(grant), Pool(tls_context()))

    def test_a_granted_secret_becomes_the_key_on_requests_in_scope(self) -> None:
        egress = self.egress("https://api.siptel.cl", {"tenant_a"})
        headers = [("Authorization", b"Bearer secret:tenant_a"), ("X-Echo", b"Bearer secret:tenant_a")]
        assert egress.admit(egress.scope.authority, "/v1/sms", headers) == [
            ("Authorization", b"Bearer KEY-of-A-123"),
            # Only `Authorization` is a place for the key.
            ("X-Echo", b"Bearer secret:tenant_a"),
        ]

    @pytest.mark.parametrize("name", ["tenant_b", "nope", ""])
    def test_one_tenant_cannot_reach_another_tenants_key(self, name: str) -> None:
        egress = self.egress("https://api.siptel.cl", {"tenant_a"})
        headers = [("authorization", f"bearer secret:{name}".encode())]
        assert egress.admit(egress.scope.authority, "/v1/sms", headers) is None
        assert egress.denied == [f"https://api.siptel.cl:443 (secret `{name}` not granted)"]

    def test_granted_but_not_held_is_refused_the_same_way(self) -> None:
        egress = self.egress("https://api.siptel.cl", {"ghost"})
        assert egress.admit(egress.scope.authority, "/v1/sms", [("authorization", b"Bearer secret:ghost")]) is None
        assert egress.denied == ["https://api.siptel.cl:443 (secret `ghost` not granted)"]

    @pytest.mark.parametrize(
        "other",
        [
            "https://evil.example/tenants/a/v1/sms",
            "http://gw.example/tenants/a/v1/sms",
            "https://gw.example/tenants/b/v1/sms",
            "https://gw.example/tenants/a/%2e%2e/b/v1/sms",
        ],
    )
    def test_nothing_leaves_outside_the_scope_with_its_gateway_path(self, other: str) -> None:
        egress = self.egress("https://gw.example/tenants/a", {"tenant_a"})
        scheme, _, rest = other.partition("://")
        authority, _, path = rest.partition("/")
        target = Authority.parse(scheme == "https", authority)
        assert egress.admit(target, "/" + path, [("authorization", b"Bearer secret:tenant_a")]) is None
        assert egress.denied == [str(target)]

    def test_plain_keys_pass_untouched(self) -> None:
        egress = self.egress("https://api.siptel.cl", set())
        for plain in [b"Bearer sk_live_abc", b"Basic c2VjcmV0OnNpcHRlbA==", b"secret:tenant_a"]:
            assert egress.admit(egress.scope.authority, "/v1/sms", [("Authorization", plain)]) == [
                ("Authorization", plain)
            ]

    @pytest.mark.parametrize(
        ("name", "key"),
        [("bad", ""), ("bad", "two words"), ("bad", "line\nbreak"), ("bad", "ñ"), ("bad name", "ok-key"),
         ("", "ok-key"), ("a" * 65, "ok-key")],
    )
    def test_secrets_must_be_well_named_and_header_safe(self, name: str, key: str) -> None:
        with pytest.raises(ValueError) as raised:
            Vault({name: key})
        assert key not in str(raised.value) or not key

    def test_the_vault_never_shows_its_keys(self) -> None:
        vault = Vault(self.KEYS)
        assert repr(vault) == "Vault(['tenant_a', 'tenant_b'])"
        assert Vault({"a" * 64: "k"}).key("a" * 64, frozenset({"a" * 64})) == "k"

    def test_which_references_are_refused_before_the_guest_runs(self) -> None:
        vault = Vault(self.KEYS)
        grant = frozenset({"tenant_a"})
        assert refused_name("secret:tenant_b", grant, vault) == "tenant_b"
        assert refused_name("secret:ghost", frozenset({"ghost"}), vault) == "ghost"
        # Granted and held, a literal key, or a malformed reference (which
        # the component explains): not the host's to refuse.
        for api_key in ["secret:tenant_a", "sk_live", "Secret:tenant_b", "secret:", "secret:{{t}}", "secret:a b"]:
            assert refused_name(api_key, grant, vault) is None, api_key

    def test_the_refusal_quotes_a_long_name_cut_at_40(self) -> None:
        name = "n" * 64
        assert f"«{'n' * 40}…»" in not_granted_message(name, None)
        assert f"“{'n' * 40}…”" in not_granted_message(name, "en")


class TestAdmission:
    def test_sends_never_take_the_quick_reserve(self) -> None:
        admission = Admission(concurrent_calls=4, quick_reserve=1, tenant_slots=4, slot_wait=0.05)
        held = [admission.admit(send=True, tenant=None) for _ in range(3)]
        for ticket in held:
            ticket.__enter__()
        with pytest.raises(Busy):
            with admission.admit(send=True, tenant=None):
                pass
        with admission.admit(send=False, tenant=None):
            with pytest.raises(Busy):
                with admission.admit(send=False, tenant=None):
                    pass
        held.pop().__exit__(None, None, None)
        with admission.admit(send=True, tenant=None):
            pass
        for ticket in held:
            ticket.__exit__(None, None, None)

    def test_one_tenant_holds_at_most_its_share(self) -> None:
        admission = Admission(concurrent_calls=8, quick_reserve=0, tenant_slots=2, slot_wait=0.05)
        with admission.admit(True, "a"), admission.admit(True, "a"):
            started = time.monotonic()
            with pytest.raises(Busy) as raised:
                with admission.admit(False, "a"):
                    pass
            assert raised.value.seconds == 0.05
            assert time.monotonic() - started >= 0.05
            # Another tenant, and a call without tenant, still run.
            with admission.admit(True, "b"), admission.admit(True, None):
                assert admission.tenants_tracked() == 2
        assert admission.tenants_tracked() == 0

    def test_a_waiting_call_runs_when_a_slot_frees(self) -> None:
        admission = Admission(concurrent_calls=1, quick_reserve=0, tenant_slots=1, slot_wait=2.0)
        ran = threading.Event()

        def second() -> None:
            with admission.admit(False, None):
                ran.set()

        with admission.admit(False, None):
            thread = threading.Thread(target=second)
            thread.start()
            time.sleep(0.05)
            assert not ran.is_set()
        thread.join(2)
        assert ran.is_set()


class TestRedactor:
    def test_keys_as_written_and_as_rendered_are_scrubbed(self) -> None:
        redactor = Redactor(["host-secret-1"], "sk-{{ tenant }}-key", {"tenant": "acme"})
        text = "a sk-{{ tenant }}-key b sk-acme-key c host-secret-1"
        assert redactor.scrub(text) == f"a {REDACTED} b {REDACTED} c {REDACTED}"

    def test_a_key_the_output_cap_cut_is_scrubbed_too(self) -> None:
        assert Redactor([], "sk-live-0123456789", {}).scrub("key: sk-live-01") == f"key: {REDACTED}"

    def test_placeholders_and_short_strings_are_left_alone(self) -> None:
        redactor = Redactor([], "secret:siptel", {})
        assert redactor.scrub("Bearer secret:siptel") == "Bearer secret:siptel"
        assert Redactor([], "abc", {}).scrub("abc abc") == "abc abc"

    def test_render_keeps_escaped_braces_and_unknown_names(self) -> None:
        assert render("{{{{x}} {{ a }} {{b}}", {"a": "1"}) == "{{x}} 1 {{b}}"
