"""The instant-approval (秒批) rule language: what a rule may say, how a rule set is checked
against its service item when saved, and how it is evaluated over the facts of one
submission. Pure: no database, no HTTP.

A rule set is `{version, rules: [rule]}`; it approves when every rule holds. A rule is
`{id, description?, fact, op, value, key?, certificate_type?, field?}` or a group
`{id, description?, any: [check]}` that holds when one of its checks does. Facts:

    form                the form value `key`                         op: eq ne lt le gt ge in not_in
    holds_certificate   a valid wallet certificate of `certificate_type` (no op, no value)
    certificate_field   the field `field` of that certificate       op: as for form
    age                 whole years from the ID number's birth date  op: eq ne lt le gt ge
    region              the region of the ID number (GB 11643: its first six digits), at or
                        below one of the listed codes                op: in

A missing fact (no such form value, certificate or ID number) makes its check fail. Work is
bounded by the schema: at most MAX_RULES rules of at most MAX_ANY checks, each comparing
scalars or a list of at most MAX_VALUES; there is no nesting below `any` and nothing is
executed (no eval): the evaluator is a table of comparisons.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from app.catalogue.regions import ancestors, is_region_code
from app.i18n import N_

FACTS = ("form", "holds_certificate", "certificate_field", "age", "region")
ORDERING = ("lt", "le", "gt", "ge")
OPS = ("eq", "ne", *ORDERING, "in", "not_in")
MAX_RULES = 20
MAX_ANY = 10
MAX_VALUES = 50
MAX_VALUE_LENGTH = 200
MAX_AGE = 150

_COMPARE = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "in": lambda a, b: a in b,
    "not_in": lambda a, b: a not in b,
}
# Which ops each form field type takes (ordering only where values are ordered).
_OPS_BY_TYPE = {
    "string": ("eq", "ne", "in", "not_in"),
    "choice": ("eq", "ne", "in", "not_in"),
    "boolean": ("eq", "ne"),
    "number": OPS,
    "integer": OPS,
    "date": OPS,  # "YYYY-MM-DD" orders as text
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _value_fits(kind: str, value: Any) -> bool:
    if kind in ("number", "integer"):
        return _is_number(value)
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, str)


# ---------------------------------------------------------------- checking when saved


def _check_problems(check: Mapping[str, Any], form: Mapping[str, dict[str, Any]]) -> list[str]:
    """Why one check (already of the right shape) does not fit the service item's form."""
    problems: list[str] = []
    fact, op = check["fact"], check.get("op")
    value: Any = check.get("value")
    listed = op in ("in", "not_in")
    values = value if isinstance(value, list) else [value]
    if fact == "holds_certificate":
        if "certificate_type" not in check:
            problems.append("A holds_certificate rule names a certificate_type.")
        if op is not None or "value" in check:
            problems.append("A holds_certificate rule takes no op and no value.")
        return problems
    if op is None or "value" not in check:
        return [N_("This rule needs an op and a value.")]
    if listed != isinstance(value, list):
        problems.append("in and not_in take a list of values; the other ops one value.")
        return problems
    if fact == "form":
        field = form.get(check.get("key") or "")
        if field is None:
            return [N_(f"The form has no field {check.get('key')}.")]
        kind = field["type"]
        if op not in _OPS_BY_TYPE[kind]:
            problems.append(f"A {kind} field cannot be compared with {op}.")
        if not all(_value_fits(kind, v) for v in values):
            problems.append(f"The value must be of the field's type ({kind}).")
        elif kind == "choice":
            unknown = [v for v in values if v not in field["choices"]]
            if unknown:
                problems.append(f"Not among the field's choices: {', '.join(map(str, unknown))}.")
    elif fact == "certificate_field":
        if "certificate_type" not in check or "field" not in check:
            problems.append("A certificate_field rule names a certificate_type and a field.")
        if not all(isinstance(v, str | bool) or _is_number(v) for v in values):
            problems.append("The value must be a string, number or boolean.")
    elif fact == "age":
        if op in ("in", "not_in"):
            problems.append("An age rule compares with eq, ne, lt, le, gt or ge.")
        elif not (_is_number(value) and 0 <= value <= MAX_AGE):
            problems.append(f"An age is a number of years from 0 to {MAX_AGE}.")
    elif fact == "region":
        if op != "in":
            problems.append("A region rule takes op in and a list of region codes.")
        elif not all(isinstance(v, str) and is_region_code(v) for v in values):
            problems.append("Region codes have six digits.")
    for name in ("key", "certificate_type", "field"):
        if name in check and name not in _NAMES_OF[fact]:
            problems.append(f"A {fact} rule takes no {name}.")
    return problems


_NAMES_OF = {
    "form": ("key",),
    "holds_certificate": ("certificate_type",),
    "certificate_field": ("certificate_type", "field"),
    "age": (),
    "region": (),
}


def rule_set_problems(
    auto_approval: Mapping[str, Any], form_fields: list[dict[str, Any]]
) -> dict[str, Any]:
    """The errors of a rule set against the service item's form, keyed like the body:
    `{"rules": {index: {...}}}`; empty when it is sound."""
    form = {f["key"]: f for f in form_fields}
    errors: dict[int, Any] = {}
    ids = [rule["id"] for rule in auto_approval["rules"]]
    for index, rule in enumerate(auto_approval["rules"]):
        if ids.count(rule["id"]) > 1:
            errors.setdefault(index, {})["id"] = [N_("Each rule id may appear only once.")]
        if ("any" in rule) == ("fact" in rule):
            errors.setdefault(index, {})["fact"] = [N_("A rule has either a fact or an any group.")]
            continue
        if "any" in rule:
            group = {}
            for position, check in enumerate(rule["any"]):
                problems = _check_problems(check, form)
                if problems:
                    group[position] = problems
            if group:
                errors.setdefault(index, {})["any"] = group
        else:
            problems = _check_problems(rule, form)
            if problems:
                errors.setdefault(index, {})["fact"] = problems
    return {"rules": errors} if errors else {}


# ---------------------------------------------------------------- evaluating


def age_on(birth: date, today: date) -> int:
    """Whole years from BIRTH to TODAY."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def needed_certificate_types(rules: list[dict[str, Any]]) -> set[str]:
    checks = [c for rule in rules for c in rule.get("any", [rule])]
    return {c["certificate_type"] for c in checks if "certificate_type" in c}


def _fact(check: Mapping[str, Any], facts: Mapping[str, Any]) -> tuple[bool, Any]:
    """(known, value) of the fact CHECK reads."""
    fact = check["fact"]
    if fact == "form":
        form = facts["form"]
        return (check["key"] in form and form[check["key"]] is not None), form.get(check["key"])
    if fact in ("holds_certificate", "certificate_field"):
        cert = facts["certificates"].get(check["certificate_type"])
        if fact == "holds_certificate":
            return True, cert is not None
        data = (cert or {}).get("data") or {}
        return check["field"] in data, data.get(check["field"])
    value = facts.get(fact)
    return value is not None, value


def _holds(check: Mapping[str, Any], facts: Mapping[str, Any]) -> tuple[bool, Any, str | None]:
    """(holds, the input read, why not)."""
    known, value = _fact(check, facts)
    fact = check["fact"]
    if fact == "holds_certificate":
        return bool(value), value, None if value else N_("no valid certificate of that type")
    if not known:
        return False, None, N_("the fact is missing")
    expected = check["value"]
    if fact == "region":
        path = ancestors(value) if is_region_code(value) else []
        ok = any(code in path for code in expected)
        return ok, value, None if ok else N_("the region is not among those listed")
    try:
        ok = bool(_COMPARE[check["op"]](value, expected))
    except TypeError:  # e.g. a certificate's text field compared with a number
        ok = False
    return ok, value, None if ok else N_("the comparison does not hold")


def _describe(check: Mapping[str, Any]) -> dict[str, Any]:
    return {k: check[k] for k in ("fact", "key", "certificate_type", "field", "op") if k in check}


def evaluate(
    rules: list[dict[str, Any]], facts: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(failed rules, the inputs read: [{rule, fact, value}]) of RULES over FACTS. Every rule
    is evaluated, so an admin testing a set sees each one that fails."""
    failed: list[dict[str, Any]] = []
    inputs: list[dict[str, Any]] = []
    for rule in rules:
        checks = rule.get("any", [rule])
        reasons = []
        held = False
        for check in checks:
            ok, value, reason = _holds(check, facts)
            inputs.append({"rule": rule["id"], "fact": _input_name(check), "value": value})
            if ok:
                held = True
                break
            reasons.append({**_describe(check), "reason": reason})
        if not held:
            failed.append(
                {"id": rule["id"], "description": rule.get("description"), "checks": reasons}
            )
    return failed, inputs


def _input_name(check: Mapping[str, Any]) -> str:
    fact = check["fact"]
    if fact == "form":
        return f"form.{check['key']}"
    if fact == "holds_certificate":
        return f"holds.{check['certificate_type']}"
    if fact == "certificate_field":
        return f"certificate.{check['certificate_type']}.{check['field']}"
    return fact
