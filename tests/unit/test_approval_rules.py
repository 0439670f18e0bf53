"""The instant-approval rule language: each fact and op evaluates as documented, a missing
fact fails, `any` holds when one check does, and a rule set that does not fit its form is
refused with errors per rule."""

from datetime import date

import pytest

from app.approval import rules

FORM = [
    {"key": "capital", "label": "Capital", "type": "number"},
    {"key": "scope", "label": "Scope", "type": "choice", "choices": ["retail", "software"]},
    {"key": "name", "label": "Name", "type": "string"},
    {"key": "local", "label": "Local", "type": "boolean"},
    {"key": "start", "label": "Start", "type": "date"},
]


def facts(**overrides):
    base = {
        "form": {"capital": 500.0, "scope": "software", "name": "Qiantang", "local": True},
        "certificates": {
            "marriage_certificate": {"type": "marriage_certificate", "data": {"status": "married"}}
        },
        "age": 36,
        "region": "330106",
    }
    base.update(overrides)
    return base


def failed_ids(rule_list, **overrides):
    failed, _ = rules.evaluate(rule_list, facts(**overrides))
    return [f["id"] for f in failed]


@pytest.mark.parametrize(
    ("op", "value", "holds"),
    [
        ("eq", 500, True),
        ("ne", 500, False),
        ("lt", 600, True),
        ("le", 500, True),
        ("gt", 500, False),
        ("ge", 500, True),
        ("in", [100, 500], True),
        ("not_in", [100, 500], False),
    ],
)
def test_every_op_compares_a_form_value(op, value, holds):
    rule = {"id": "r", "fact": "form", "key": "capital", "op": op, "value": value}
    assert failed_ids([rule]) == ([] if holds else ["r"])


def test_holds_certificate_reads_the_wallet():
    held = {
        "id": "married",
        "fact": "holds_certificate",
        "certificate_type": "marriage_certificate",
    }
    absent = {"id": "retired", "fact": "holds_certificate", "certificate_type": "pension_approval"}
    assert failed_ids([held, absent]) == ["retired"]


def test_a_certificate_field_is_compared_and_missing_fields_fail():
    married = {
        "id": "status",
        "fact": "certificate_field",
        "certificate_type": "marriage_certificate",
        "field": "status",
        "op": "eq",
        "value": "married",
    }
    missing = {**married, "id": "missing", "field": "spouse"}
    other = {**married, "id": "other", "certificate_type": "divorce_certificate"}
    assert failed_ids([married, missing, other]) == ["missing", "other"]


def test_age_and_region_come_from_the_id_number():
    adult = {"id": "adult", "fact": "age", "op": "ge", "value": 18}
    hangzhou = {"id": "hz", "fact": "region", "op": "in", "value": ["330100"]}
    ningbo = {"id": "nb", "fact": "region", "op": "in", "value": ["330200"]}
    assert failed_ids([adult, hangzhou, ningbo]) == ["nb"]
    assert failed_ids([adult, hangzhou], age=17) == ["adult"]
    assert failed_ids([adult, hangzhou], age=None, region=None) == ["adult", "hz"]


def test_age_counts_whole_years_to_the_birthday():
    assert rules.age_on(date(2008, 12, 3), date(2026, 12, 2)) == 17
    assert rules.age_on(date(2008, 12, 2), date(2026, 12, 2)) == 18


def test_any_holds_when_one_check_does_and_reports_each_that_failed():
    group = {
        "id": "either",
        "any": [
            {"fact": "age", "op": "ge", "value": 60},
            {"fact": "form", "key": "scope", "op": "eq", "value": "retail"},
        ],
    }
    failed, _ = rules.evaluate([group], facts())
    assert [f["id"] for f in failed] == ["either"]
    assert [c["fact"] for c in failed[0]["checks"]] == ["age", "form"]
    assert failed_ids([group], age=61) == []


def test_a_value_of_another_type_fails_rather_than_raising():
    rule = {
        "id": "r",
        "fact": "certificate_field",
        "certificate_type": "marriage_certificate",
        "field": "status",
        "op": "gt",
        "value": 3,
    }
    assert failed_ids([rule]) == ["r"]


def test_the_inputs_read_are_recorded():
    rule = {"id": "capital", "fact": "form", "key": "capital", "op": "ge", "value": 100}
    _, inputs = rules.evaluate([rule], facts())
    assert inputs == [{"rule": "capital", "fact": "form.capital", "value": 500.0}]


@pytest.mark.parametrize(
    ("rule", "field", "message"),
    [
        ({"fact": "form", "key": "nope", "op": "eq", "value": 1}, "fact", "no field nope"),
        ({"fact": "form", "key": "capital", "op": "eq", "value": "x"}, "fact", "type"),
        ({"fact": "form", "key": "scope", "op": "lt", "value": "retail"}, "fact", "compared"),
        ({"fact": "form", "key": "scope", "op": "eq", "value": "mining"}, "fact", "choices"),
        ({"fact": "form", "key": "capital", "op": "in", "value": 5}, "fact", "list"),
        ({"fact": "age", "op": "ge", "value": "18"}, "fact", "number of years"),
        ({"fact": "region", "op": "eq", "value": "330100"}, "fact", "op in"),
        ({"fact": "region", "op": "in", "value": ["33"]}, "fact", "six digits"),
        ({"fact": "holds_certificate"}, "fact", "certificate_type"),
        ({"fact": "age", "op": "ge", "value": 18, "key": "capital"}, "fact", "takes no key"),
        ({}, "fact", "either a fact or an any group"),
    ],
)
def test_a_rule_that_does_not_fit_the_form_is_refused(rule, field, message):
    problems = rules.rule_set_problems({"version": 1, "rules": [{"id": "r", **rule}]}, FORM)
    assert message in " ".join(problems["rules"][0][field])


def test_rule_ids_are_unique_and_a_sound_set_has_no_problems():
    rule = {"id": "r", "fact": "age", "op": "ge", "value": 18}
    assert rules.rule_set_problems({"version": 1, "rules": [rule]}, FORM) == {}
    twice = rules.rule_set_problems({"version": 1, "rules": [rule, rule]}, FORM)
    assert "only once" in twice["rules"][1]["id"][0]
