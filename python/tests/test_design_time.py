"""``describe``, ``check`` and ``preview``: no network, so no request reaches
the stub. They show how WIT values look in Python."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from conftest import ALL_WEEKDAYS, base_config

from siptel_sms import (
    Blocked,
    FieldKind,
    IntegerRange,
    InvalidConfig,
    Localized,
    Preview,
    Problem,
    SiptelSms,
    WindowClosed,
    WindowOpen,
)
from siptel_sms.action import DEFAULT_DEADLINE_MS

# 2026-09-07T13:00:00Z, a Monday: 10:00 in America/Santiago (UTC-3).
MONDAY_10_SANTIAGO = datetime(2026, 9, 7, 13, 0, tzinfo=timezone.utc)
NOWHERE = "http://127.0.0.1:9"


def codes(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in problems]


class TestDescribe:
    def test_one_form_field_per_config_field_in_order(self, action: SiptelSms) -> None:
        form = action.describe()
        assert form.name == Localized(es="Siptel SMS", en="Siptel SMS")
        assert form.summary.es and form.summary.en
        assert [f.id for f in form.fields] == action.config_fields
        assert action.config_fields[:3] == ["api-key", "sender", "recipient"]
        for field in form.fields:
            assert field.label.es and field.label.en, field.id
            assert field.help.es and field.help.en, field.id
            assert isinstance(field.required, bool) and isinstance(field.accepts_variables, bool)

    def test_kinds_defaults_and_options(self, action: SiptelSms) -> None:
        form = action.describe()
        assert form.field("api-key").kind == FieldKind("secret")
        assert form.field("api-key").required is True
        assert form.field("api-key").default_value is None
        assert form.field("max-attempts").kind == FieldKind("integer", range=IntegerRange(min=1, max=10))
        assert form.field("max-attempts").default_value == "3"
        assert form.field("language").kind == FieldKind("choice", choices=["es", "en"])
        assert form.field("encoding").kind.choices == ["auto", "gsm7-transliterate", "ucs2"]
        assert form.field("time-zone").default_value == "America/Santiago"
        assert form.field("error-intent").default_value == "SendSMS_SiptelSMS_ErrorError"
        assert form.field("base-url").default_value == "https://api.siptel.cl"
        with pytest.raises(KeyError):
            form.field("no-such-field")

    def test_the_host_send_deadline_default_is_the_components(self, action: SiptelSms) -> None:
        assert action.describe().field("deadline-ms").default_value == str(DEFAULT_DEADLINE_MS)


class TestCheck:
    def test_a_valid_config_has_no_problems(self, action: SiptelSms) -> None:
        assert action.check(base_config(NOWHERE)) == []

    def test_placeholders_are_accepted_at_design_time(self, action: SiptelSms) -> None:
        assert action.check(base_config(NOWHERE, message="Hola {{ nombre }}")) == []

    def test_every_problem_named_by_field_in_a_stable_order(self, action: SiptelSms) -> None:
        config = base_config(
            "http://example.com",
            **{
                "api-key": "",
                "sender": "12",
                "window-start": "25:00",
                "weekdays": set(),
                "time-zone": "Mars/Base",
                "max-attempts": 0,
                "language": "en",
            },
        )
        problems = action.check(config)
        assert codes(problems) == [
            ("api-key", "required"),
            ("sender", "wrong-length"),
            ("window-start", "invalid-time"),
            ("weekdays", "no-weekday"),
            ("time-zone", "unknown-time-zone"),
            ("max-attempts", "out-of-range"),
            ("base-url", "insecure-url"),
        ]
        assert all(p.message for p in problems)
        spanish = action.check({**config, "language": "es"})
        assert codes(spanish) == codes(problems)
        assert spanish[0].message != problems[0].message

    def test_snake_case_keys_and_absent_optional_fields(self, action: SiptelSms) -> None:
        config = {
            "api_key": "test-key",
            "sender": "56961234567",
            "recipient": "56987654321",
            "message": "Hola",
            "window_start": "08:00",
            "window_end": "20:00",
            "weekdays": {"monday": True, "tuesday": True, "sunday": False},
            "base_url": NOWHERE,
            "time_zone": None,
        }
        assert action.check(config) == []

    def test_missing_weekdays_means_none_enabled(self, action: SiptelSms) -> None:
        config = base_config(NOWHERE)
        del config["weekdays"]
        assert codes(action.check(config)) == [("weekdays", "no-weekday")]

    def test_neither_message_nor_campaign(self, action: SiptelSms) -> None:
        assert codes(action.check(base_config(NOWHERE, message=None))) == [("message", "message-or-campaign")]

    def test_control_characters_are_problems_not_crashes(self, action: SiptelSms) -> None:
        problems = action.check(base_config(NOWHERE, message="Hola\x00\x07 Ana\u200b"))
        assert ("message", "bad-character") in codes(problems)


class TestPreview:
    def test_renders_variables_encoding_segments_and_an_open_window(self, action: SiptelSms) -> None:
        config = base_config(
            NOWHERE,
            message="Hola {{ nombre }}",
            **{"time-zone": "America/Santiago", "window-start": "09:00", "window-end": "18:00"},
            weekdays={"monday"},
        )
        preview = action.preview(config, {"nombre": "Ána"}, at=MONDAY_10_SANTIAGO)
        assert isinstance(preview, Preview)
        assert preview.message == "Hola Ána"
        assert preview.encoding == "ucs2"
        assert preview.ucs2_characters == ["Á"]
        assert (preview.units, preview.segments) == (8, 1)
        assert preview.campaign is None and preview.campaign_variables == []
        assert preview.error_intent == "SendSMS_SiptelSMS_ErrorError"
        # wasmtime-py lifts this case as a bare None; the package makes it a value.
        assert preview.window == WindowOpen()
        assert preview.window_open is True

    def test_a_closed_window_carries_when_it_opens(self, action: SiptelSms) -> None:
        config = base_config(
            NOWHERE,
            **{"time-zone": "America/Santiago", "window-start": "11:00:00", "window-end": "18:00:00"},
        )
        preview = action.preview(config, [], at=MONDAY_10_SANTIAGO)
        assert preview.window_open is False
        assert preview.window == WindowClosed(
            Blocked(
                reason="outside-hours",
                next_allowed="2026-09-07T11:00:00-03:00",
                wait_seconds=3600,
                description=preview.window.blocked.description,  # type: ignore[union-attr]
            )
        )
        assert preview.window.blocked.description  # type: ignore[union-attr]

    def test_a_public_holiday_is_closed_unless_sending_on_holidays_is_on(self, action: SiptelSms) -> None:
        fiestas = datetime(2026, 9, 18, 13, 0, tzinfo=timezone.utc)  # Friday 10:00 in Santiago
        config = base_config(
            NOWHERE,
            **{"time-zone": "America/Santiago", "window-start": "09:00", "window-end": "18:00"},
            weekdays=ALL_WEEKDAYS - {"saturday", "sunday"},
            send_on_holidays=None,
        )
        preview = action.preview(config, [], at=fiestas)
        assert isinstance(preview.window, WindowClosed)
        assert preview.window.blocked.reason == "holiday"
        assert "18 de septiembre" in preview.window.blocked.description
        assert preview.window.blocked.next_allowed == "2026-09-21T09:00:00-03:00"
        config["send-on-holidays"] = True
        assert action.preview(config, [], at=fiestas).window == WindowOpen()

    def test_a_promotional_message_carries_its_opt_out_on_the_last_line(self, action: SiptelSms) -> None:
        config = base_config(NOWHERE, purpose="promotional", message="Oferta de hoy")
        assert codes(action.check(config)) == [("opt-out", "required")]
        preview = action.preview({**config, "opt-out": "Responda BAJA"})
        assert preview.message == "Oferta de hoy\nResponda BAJA"

    def test_weekday_disabled_and_unix_seconds(self, action: SiptelSms) -> None:
        config = base_config(NOWHERE, weekdays=ALL_WEEKDAYS - {"monday"}, **{"time-zone": "America/Santiago"})
        preview = action.preview(config, (), at=MONDAY_10_SANTIAGO.timestamp())
        assert isinstance(preview.window, WindowClosed)
        assert preview.window.blocked.reason == "weekday-disabled"
        assert preview.window.blocked.next_allowed == "2026-09-08T00:00:00-03:00"

    def test_transliteration_is_reported(self, action: SiptelSms) -> None:
        preview = action.preview(base_config(NOWHERE, message="Canción", encoding="gsm7-transliterate"))
        assert preview.encoding == "gsm7"
        assert preview.message == "Cancion"
        assert [(r.original, r.replacement, r.count) for r in preview.replacements] == [("ó", "o", 1)]

    def test_campaign_variables_are_rendered(self, action: SiptelSms) -> None:
        config = base_config(
            NOWHERE,
            message=None,
            campaign="bienvenida",
            **{"campaign-variables": [{"name": "name", "value": "{{cliente}}"}]},
        )
        preview = action.preview(config, [{"name": "cliente", "value": "Ana", "kind": "person"}])
        assert preview.campaign == "bienvenida"
        assert [(v.name, v.value) for v in preview.campaign_variables] == [("name", "Ana")]

    def test_problems_are_raised_with_field_and_code(self, action: SiptelSms) -> None:
        with pytest.raises(InvalidConfig) as raised:
            action.preview(base_config(NOWHERE, message="Hola {{ nombre }}", sender="12"))
        assert codes(raised.value.problems) == [("sender", "wrong-length"), ("message", "missing-variable")]
        assert "sender: wrong-length" in str(raised.value)
