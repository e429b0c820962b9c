"""Bounded input: every call's input is cut to what the action can judge
(``bounded()`` of src/config.rs), which changes no outcome: what was too long
or too many stays so, what fit is unchanged, and a 100 MB entity is a
``too-long`` problem, never a memory failure. The limits the form does not
give are pinned here against the component's own answers; the rest is read
from its form, field by field, whatever fields it has."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import WASM, Stub, base_config

from siptel_sms import Invalid, InvalidConfig, Sent, SiptelSms
from siptel_sms.bounds import (
    CAMPAIGN_VARIABLE_NAME_CHARS,
    ENTITY_NAME_CHARS,
    MAX_CAMPAIGN_VARIABLES,
    MAX_ENTITIES,
    MAX_PROBLEMS,
    Bounds,
)
from siptel_sms.model import Blocked, Problem, outcome
from siptel_sms.values import NO_RESOURCES, Case, ListSchema, OptionSchema, RecordSchema, Schema, StringSchema

NOWHERE = "http://127.0.0.1:9"
PACKAGE = Path(__file__).resolve().parents[1] / "siptel_sms"


def codes(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in problems]


def campaign(variables: list[dict[str, str]]) -> dict[str, Any]:
    return base_config(NOWHERE, message=None, campaign="bienvenida", campaign_variables=variables)


def variables(count: int, name_chars: int = 4, value: str = "v") -> list[dict[str, str]]:
    """``count`` campaign variables with distinct valid names of ``name_chars``."""
    return [{"name": f"v{i:0{name_chars - 1}d}", "value": value} for i in range(count)]


class TestTheFormGivesTheLengths:
    def test_bounds_are_every_text_fields_max_length(self, action: SiptelSms) -> None:
        form = action.describe()
        lengths = {f.id: f.max_length for f in form.fields if f.max_length is not None}
        assert action.bounds == Bounds(lengths)
        assert action.bounds.longest == max(lengths.values())
        # Per value, as the WIT says, and what the cut of campaign variables uses.
        assert lengths["campaign-variables"] == 1000
        assert form.field("weekdays").max_length is None


class TestLimitsTheFormDoesNotGive:
    """Each constant of siptel_sms.bounds against the component: one more
    than the limit is refused, and far more is refused alike once cut."""

    def test_campaign_variables(self, action: SiptelSms) -> None:
        assert action.check(campaign(variables(MAX_CAMPAIGN_VARIABLES))) == []
        too_many = codes(action.check(campaign(variables(MAX_CAMPAIGN_VARIABLES + 1))))
        assert too_many == [("campaign-variables", "too-many")]
        assert codes(action.check(campaign(variables(20 * MAX_CAMPAIGN_VARIABLES)))) == too_many

    def test_campaign_variable_names(self, action: SiptelSms) -> None:
        assert action.check(campaign(variables(1, CAMPAIGN_VARIABLE_NAME_CHARS))) == []
        too_long = action.check(campaign(variables(1, CAMPAIGN_VARIABLE_NAME_CHARS + 1)))
        assert [p.field for p in too_long] == ["campaign-variables"]
        assert action.check(campaign(variables(1, 100_000))) == too_long

    def test_campaign_variable_values(self, action: SiptelSms) -> None:
        limit = action.bounds.max_length["campaign-variables"]
        assert action.check(campaign(variables(1, value="v" * limit))) == []
        too_long = action.check(campaign(variables(1, value="v" * (limit + 1))))
        assert codes(too_long) == [("campaign-variables", "too-long")]
        assert action.check(campaign(variables(1, value="v" * 1_000_000))) == too_long

    def test_entities(self, action: SiptelSms) -> None:
        config = base_config(NOWHERE, message="Hola {{e0}}")

        def entities(count: int) -> dict[str, str]:
            return {f"e{i}": "Ana" for i in range(count)}

        assert action.preview(config, entities(MAX_ENTITIES)).message == "Hola Ana"
        for count in [MAX_ENTITIES + 1, 40 * MAX_ENTITIES]:
            with pytest.raises(InvalidConfig) as raised:
                action.preview(config, entities(count))
            assert codes(raised.value.problems) == [("entities", "too-many")], count

    def test_entity_names(self, action: SiptelSms) -> None:
        longest = "n" * ENTITY_NAME_CHARS
        config = base_config(NOWHERE, message=f"Hola {{{{{longest}}}}}")
        assert action.preview(config, {longest: "Ana"}).message == "Hola Ana"
        # One character more: ignored, even though its first 128 match.
        for name in [longest + "n", longest + "n" * 100_000]:
            with pytest.raises(InvalidConfig) as raised:
                action.preview(config, {name: "Ana"})
            assert codes(raised.value.problems) == [("message", "missing-variable")]
        # Ignored by the component too, even where a placeholder names it.
        too_long = longest + "n"
        with pytest.raises(InvalidConfig):
            action.preview(base_config(NOWHERE, message=f"Hola {{{{{too_long}}}}}"), {too_long: "Ana"})

    def test_problems_per_answer(self, action: SiptelSms) -> None:
        bad = [{"name": f"9bad{i}", "value": "v"} for i in range(MAX_CAMPAIGN_VARIABLES)]
        problems = action.check({**campaign(bad), "api-key": "secret:ghost"})
        assert len(problems) == MAX_PROBLEMS
        assert problems[0].code == "not-allowed"
        assert len(action.check(campaign(bad))) == MAX_PROBLEMS


class TestNoMemoryFailure:
    HUGE = "x" * (100 << 20)

    def test_a_100_mb_entity_is_too_long_where_it_is_used(self, action: SiptelSms, stub: Stub) -> None:
        outcome = action.send(base_config(stub.url, message="Hola {{big}}"), {"big": self.HUGE})
        assert isinstance(outcome, Invalid), outcome
        assert codes(outcome.problems) == [("message", "too-long")]
        assert stub.requests() == []

    def test_a_100_mb_entity_nothing_uses_changes_nothing(self, action: SiptelSms, stub: Stub) -> None:
        outcome = action.send(base_config(stub.url), {"big": self.HUGE})
        assert isinstance(outcome, Sent), outcome


def filled(schema: Schema, text: str) -> Any:
    """A plain value of ``schema`` with ``text`` in every string, or ``None``
    when the type holds no string to fill."""
    if isinstance(schema, StringSchema):
        return text
    if isinstance(schema, OptionSchema):
        inner = schema.by_tag["some"]
        return None if inner is None else filled(inner, text)
    if isinstance(schema, ListSchema) and not schema.is_bytes:
        item = filled(schema.element, text)
        return None if item is None else [item]
    if isinstance(schema, RecordSchema):
        fields = {name: filled(s, text) for name, s in schema.fields}
        return fields if all(v is not None for v in fields.values()) else None
    return None


class TestEveryTextField:
    """Driven by the component's form and types: no field is named here, so a
    field added to the WIT is covered as soon as the component has it."""

    def test_far_too_long_is_refused_like_one_too_long_in_every_field(self, action: SiptelSms) -> None:
        schema = action._config_schema()  # type: ignore[attr-defined]
        covered = []
        for field, limit in action.bounds.max_length.items():
            one_more = filled(schema.by_name[field], "x" * (limit + 1))
            if one_more is None:
                continue
            far_more = filled(schema.by_name[field], "x" * (limit * 50 + 10_000))
            # The base config is valid: one character too many is refused.
            problems = action.check(base_config(NOWHERE, **{field: one_more}))
            assert problems, field
            assert action.check(base_config(NOWHERE, **{field: far_more})) == problems, field
            covered.append(field)
        assert len(covered) == len(action.bounds.max_length)
        # Fields the package's code never names flow through all the same.
        source = "".join(p.read_text() for p in PACKAGE.rglob("*.py"))
        named = {f for f in covered if f'"{f}"' in source or f"'{f}'" in source}
        assert named <= {"api-key", "campaign-variables"}, named
        assert len(covered) - len(named) >= 10


class TestFieldsThisPackageDoesNotKnow:
    """Fields added to the WIT after this package was written
    (`send-on-holidays`, `closed-dates`, `purpose`, `opt-out`, block reason
    `holiday`) go through the same generic code, with no line of this
    package naming them."""

    @pytest.fixture
    def config_schema(self, action: SiptelSms) -> RecordSchema:
        return action._config_schema()  # type: ignore[attr-defined,no-any-return]

    def test_they_are_lowered_cut_by_their_form_length_and_lifted(self, config_schema: RecordSchema) -> None:
        plain = base_config(
            NOWHERE,
            send_on_holidays=True,
            closed_dates=["2026-12-24", "x" * 5000],
            purpose="promotional",
            opt_out="o" * 5000,
        )
        lowered = config_schema.lower(plain, "config", NO_RESOURCES)
        bounds = Bounds({"closed-dates": 10, "opt-out": 300, "message": 4000})
        cut = config_schema.lift(bounds.config(config_schema, lowered), NO_RESOURCES)
        assert cut["closed-dates"] == ["2026-12-24", "x" * 11]
        assert cut["opt-out"] == "o" * 301
        assert cut["purpose"] == "promotional"
        assert cut["send-on-holidays"] is True
        assert cut["message"] == plain["message"]
        assert cut["api-key"] == plain["api-key"]  # no length given: kept whole

    def test_their_answers_come_through(self) -> None:
        blocked = outcome(
            Case(
                "blocked",
                {"reason": "holiday", "next-allowed": "2026-12-26T09:00:00-03:00", "wait-seconds": 1, "description": "d"},
            )
        )
        assert isinstance(blocked, Blocked) and blocked.reason == "holiday"
        problem = outcome(Case("invalid", [{"field": "closed-dates", "code": "invalid-date", "message": "m"}]))
        assert problem == Invalid([Problem("closed-dates", "invalid-date", "m")])


def test_a_component_without_a_readable_form_still_runs(stub: Stub) -> None:
    from conftest import PROBE_WASM

    from siptel_sms import Limits

    with SiptelSms(PROBE_WASM, siptel_base_url=stub.url, limits=Limits(call_timeout=0.3)) as probe:
        assert probe.bounds == Bounds({})
        assert probe.check({"api-key": "k", "sender": "1", "recipient": "2", "message": "grow:10",
                            "window-start": "", "window-end": ""}) == []


def test_each_loaded_component_reads_its_own_form(action: SiptelSms) -> None:
    with SiptelSms(WASM) as again:
        assert again.bounds == action.bounds
