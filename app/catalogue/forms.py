"""Validates an application's form data against a service item's typed form definition.

Each field reports all of its own problems at once, and every field is checked, so the
applicant fixes everything in one round trip. Values are coerced only where that loses
nothing: integral numbers for `integer`, floats for `number`; dates stay "YYYY-MM-DD".
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from app.catalogue import patterns
from app.http.errors import ValidationFailed

FIELD_TYPES = ("string", "number", "integer", "boolean", "date", "choice")
# A string field without its own max_length still has one: patterns run on what is sent.
DEFAULT_MAX_STRING_LENGTH = 2000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MISSING = "Missing data for required field."
# The database stores integers in 64 bits: a wider one would fail the write, not validate.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_bounds(field: dict[str, Any], value: float, messages: list[str]) -> None:
    if "min" in field and value < field["min"]:
        messages.append(f"Must be at least {field['min']}.")
    if "max" in field and value > field["max"]:
        messages.append(f"Must be at most {field['max']}.")


def _clean_value(field: dict[str, Any], value: Any) -> tuple[Any, list[str]]:
    """(cleaned value, messages) for one present, non-null value."""
    kind = field["type"]
    messages: list[str] = []
    if kind == "string":
        if not isinstance(value, str):
            return None, ["Not a valid string."]
        if "\x00" in value:
            messages.append("Must not contain NUL characters.")
        if field.get("required") and not value.strip():
            messages.append("Must not be blank.")
        max_length = field.get("max_length", DEFAULT_MAX_STRING_LENGTH)
        if len(value) > max_length:
            return value, [*messages, f"Longer than maximum length {max_length}."]
        if "pattern" in field and not patterns.full_match(field["pattern"], value):
            messages.append("Does not match the expected format.")
        return value, messages
    if kind == "number":
        if not _is_number(value) or not math.isfinite(value):
            return None, ["Not a valid number."]
        _check_bounds(field, value, messages)
        return float(value), messages
    if kind == "integer":
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            return None, ["Not a valid integer."]
        if not INT64_MIN <= value <= INT64_MAX:
            return None, ["Out of range (a 64-bit integer)."]
        _check_bounds(field, value, messages)
        return value, messages
    if kind == "boolean":
        if not isinstance(value, bool):
            return None, ["Not a valid boolean."]
        return value, messages
    if kind == "date":
        if not isinstance(value, str) or not _DATE.match(value):
            return None, ["Not a valid date (YYYY-MM-DD)."]
        try:
            date.fromisoformat(value)
        except ValueError:
            return None, ["Not a valid date (YYYY-MM-DD)."]
        return value, messages
    if kind == "choice":
        if not isinstance(value, str):
            return None, ["Not a valid choice."]
        if value not in field.get("choices", ()):
            return None, ["Must be one of: " + ", ".join(field.get("choices", ())) + "."]
        return value, messages
    raise ValueError(f"form field {field['key']!r} has an unknown type {kind!r}")


def validate_form(definition: list[dict[str, Any]], data: Any) -> dict[str, Any]:
    """The cleaned form, or ValidationFailed(errors={"form": {key: [messages]}}) listing the
    problems of every field (unknown keys included)."""
    if not isinstance(data, dict):
        raise ValidationFailed(
            "The form must be an object of field values.",
            errors={"form": {"_schema": ["Must be an object."]}},
        )
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    known = {field["key"] for field in definition}
    for key in data:
        if key not in known:
            errors[str(key)] = ["Unknown field."]
    for field in definition:
        key = field["key"]
        value = data.get(key)
        if value is None:
            if field.get("required"):
                errors[key] = [_MISSING]
            continue
        value, messages = _clean_value(field, value)
        if messages:
            errors[key] = messages
        else:
            cleaned[key] = value
    if errors:
        raise ValidationFailed("The form is not valid; see errors.", errors={"form": errors})
    return cleaned
