"""A submitted form is checked against the service item's typed form definition."""

import pytest

from app.catalogue.forms import validate_form
from app.http.errors import ValidationFailed

COMPANY_FORM = [
    {"key": "company_name", "label": "Name", "type": "string", "required": True, "max_length": 10},
    {"key": "registered_capital", "label": "Capital", "type": "number", "required": True, "min": 0},
    {
        "key": "business_scope",
        "label": "Scope",
        "type": "choice",
        "required": True,
        "choices": ["retail", "software"],
    },
    {"key": "start_date", "label": "Start", "type": "date", "required": False},
    {
        "key": "employees",
        "label": "Staff",
        "type": "integer",
        "required": False,
        "min": 1,
        "max": 500,
    },
    {
        "key": "postcode",
        "label": "Postcode",
        "type": "string",
        "required": False,
        "pattern": r"\d{6}",
    },
    {"key": "online_only", "label": "Online", "type": "boolean", "required": False},
]


def form_errors(data):
    with pytest.raises(ValidationFailed) as caught:
        validate_form(COMPANY_FORM, data)
    return caught.value.errors["form"]


def test_valid_form_comes_back_cleaned_with_lossless_coercions_only():
    cleaned = validate_form(
        COMPANY_FORM,
        {
            "company_name": "Qiantang",
            "registered_capital": 1000000,
            "business_scope": "software",
            "start_date": "2026-12-01",
            "employees": 12.0,
            "postcode": "310000",
            "online_only": False,
        },
    )
    assert cleaned == {
        "company_name": "Qiantang",
        "registered_capital": 1000000.0,
        "business_scope": "software",
        "start_date": "2026-12-01",
        "employees": 12,
        "postcode": "310000",
        "online_only": False,
    }
    assert isinstance(cleaned["registered_capital"], float)
    assert isinstance(cleaned["employees"], int)


def test_optional_fields_may_be_left_out_or_null():
    cleaned = validate_form(
        COMPANY_FORM,
        {
            "company_name": "Q",
            "registered_capital": 1,
            "business_scope": "retail",
            "start_date": None,
        },
    )
    assert cleaned == {"company_name": "Q", "registered_capital": 1.0, "business_scope": "retail"}


def test_every_field_error_is_reported_at_once():
    errors = form_errors(
        {
            "company_name": "A name far too long",
            "registered_capital": -5,
            "business_scope": "mining",
            "start_date": "2026-02-30",
            "employees": 501,
            "postcode": "31000",
            "online_only": "yes",
            "shoe_size": 42,
        }
    )
    assert set(errors) == {
        "company_name",
        "registered_capital",
        "business_scope",
        "start_date",
        "employees",
        "postcode",
        "online_only",
        "shoe_size",
    }
    assert errors["company_name"] == ["Longer than maximum length 10."]
    assert errors["registered_capital"] == ["Must be at least 0."]
    assert errors["employees"] == ["Must be at most 500."]
    assert errors["shoe_size"] == ["Unknown field."]


def test_missing_required_fields_are_named():
    errors = form_errors({"company_name": None})
    assert errors == {
        "company_name": ["Missing data for required field."],
        "registered_capital": ["Missing data for required field."],
        "business_scope": ["Missing data for required field."],
    }


def test_blank_required_string_is_refused():
    errors = form_errors(
        {"company_name": "   ", "registered_capital": 1, "business_scope": "retail"}
    )
    assert errors == {"company_name": ["Must not be blank."]}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("company_name", {"$ne": None}),
        ("company_name", ["Q"]),
        ("company_name", 5),
        ("registered_capital", "1000"),
        ("registered_capital", True),
        ("registered_capital", {"$gt": 0}),
        ("registered_capital", float("nan")),
        ("employees", 2.5),
        ("employees", True),
        ("employees", "3"),
        ("business_scope", ["retail"]),
        ("start_date", "01/12/2026"),
        ("start_date", "2026-12-01T00:00:00Z"),
        ("start_date", 20261201),
        ("online_only", 1),
        ("online_only", {"$ne": None}),
    ],
)
def test_wrong_types_and_operator_objects_are_refused_per_field(key, value):
    data = {"company_name": "Q", "registered_capital": 1, "business_scope": "retail", key: value}
    errors = form_errors(data)
    assert list(errors) == [key]


def test_pattern_must_match_the_whole_value():
    errors = form_errors(
        {
            "company_name": "Q",
            "registered_capital": 1,
            "business_scope": "retail",
            "postcode": "3100001",
        }
    )
    assert errors == {"postcode": ["Does not match the expected format."]}


@pytest.mark.parametrize("data", [None, [], "form", 3])
def test_a_form_that_is_not_an_object_is_refused(data):
    with pytest.raises(ValidationFailed) as caught:
        validate_form(COMPANY_FORM, data)
    assert caught.value.errors == {"form": {"_schema": ["Must be an object."]}}


def test_a_string_without_max_length_is_still_capped_before_its_pattern_runs():
    definition = [
        {
            "key": "note",
            "label": "Note",
            "type": "string",
            "required": False,
            "pattern": "^[a-z ]*$",
        }
    ]
    assert validate_form(definition, {"note": "a" * 2000}) == {"note": "a" * 2000}
    with pytest.raises(ValidationFailed) as caught:
        validate_form(definition, {"note": "a" * 2001})
    assert caught.value.errors == {"form": {"note": ["Longer than maximum length 2000."]}}
