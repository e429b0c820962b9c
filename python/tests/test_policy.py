"""The host's policies as plain functions: authorities and scrubbing."""

from __future__ import annotations

import pytest

from siptel_sms.egress import Authority, Egress, Pool, tls_context
from siptel_sms.redact import REDACTED, Redactor, render


class TestAuthority:
    def test_default_ports_are_made_explicit(self) -> None:
        assert str(Authority.of_base_url("https://api.siptel.cl")) == "https://api.siptel.cl:443"
        assert Authority.of_base_url("https://API.siptel.cl:443/v1") == Authority.parse(True, "api.siptel.cl")
        assert str(Authority.of_base_url("http://[::1]")) == "http://[::1]:80"
        assert Authority.of_base_url("http://[::1]:9000").host == "::1"

    @pytest.mark.parametrize(
        "other",
        [(False, "127.0.0.1:8081"), (True, "127.0.0.1:8080"), (False, "localhost:8080"), (False, "u@127.0.0.1:8080")],
    )
    def test_scheme_host_and_port_must_all_match(self, other: tuple[bool, str]) -> None:
        assert Authority.parse(*other) != Authority.of_base_url("http://127.0.0.1:8080")

    @pytest.mark.parametrize("url", ["api.siptel.cl", "ftp://api.siptel.cl", "https://user@api.siptel.cl", "https://"])
    def test_what_is_no_base_url(self, url: str) -> None:
        with pytest.raises(ValueError):
            Authority.of_base_url(url)


class TestSecrets:
    def egress(self) -> Egress:
        allowed = Authority.of_base_url("https://api.siptel.cl")
        return Egress(allowed, {"siptel": "REAL-key-123"}, Pool(tls_context()))

    def test_a_placeholder_becomes_the_key_only_in_authorization(self) -> None:
        egress = self.egress()
        headers = [("Authorization", b"Bearer secret:siptel"), ("X-Echo", b"Bearer secret:siptel")]
        assert egress.admit(egress.allowed, headers) == [
            ("Authorization", b"Bearer REAL-key-123"),
            ("X-Echo", b"Bearer secret:siptel"),
        ]

    def test_an_unknown_secret_or_another_authority_is_refused(self) -> None:
        egress = self.egress()
        assert egress.admit(egress.allowed, [("authorization", b"bearer secret:nope")]) is None
        other = Authority.parse(True, "evil.example")
        assert egress.admit(other, [("authorization", b"Bearer secret:siptel")]) is None
        assert egress.denied == ["https://api.siptel.cl:443 (unknown secret `nope`)", "https://evil.example:443"]

    def test_plain_keys_pass_untouched(self) -> None:
        egress = self.egress()
        for plain in [b"Bearer sk_live_abc", b"Basic c2VjcmV0OnNpcHRlbA==", b"secret:siptel"]:
            assert egress.admit(egress.allowed, [("Authorization", plain)]) == [("Authorization", plain)]


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
