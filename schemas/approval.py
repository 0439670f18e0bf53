"""Instant-approval (秒批) rule sets as admins write them, and the rule test's body and answer.
The language itself is defined in app/approval/rules.py."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import ValidationError, fields, validate

from app.approval.rules import FACTS, MAX_ANY, MAX_RULES, MAX_VALUE_LENGTH, MAX_VALUES, OPS
from app.wallet.certificates import CERTIFICATE_TYPES
from schemas.base import (
    NUMBER_LIMIT,
    VERSION_MAX,
    BaseSchema,
    Id,
    ResponseSchema,
    StrictInteger,
    StrictString,
    bounded_map,
)

RULE_KEY = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="Use snake_case: a-z, 0-9 and _.")
LANGUAGE = (
    "A rule set approves a submission when every rule holds; rules never reject (a "
    "submission that fails any goes to human review). A rule reads one fact: `form` (the "
    "form value `key`), `holds_certificate` (a valid wallet certificate of "
    "`certificate_type`), `certificate_field` (that certificate's `field`), `age` (whole "
    "years from the ID number's birth date) or `region` (the ID number's region, at or below "
    "one of the listed codes), and compares it with `op` (eq, ne, lt, le, gt, ge; in and "
    "not_in take a list) to `value`. A rule with `any` holds when one of its checks does. "
    "A missing fact fails its check. Checked against the form when the service item is "
    "saved: unknown fields, values of the wrong type and unknown certificate types are 422."
)


class RuleValue(fields.Field):
    """A scalar (string, number, boolean) or, for in / not_in, a list of them."""

    def __init__(self, **kwargs: Any) -> None:
        scalar: list[dict[str, Any]] = [
            {"type": "string", "maxLength": MAX_VALUE_LENGTH},
            {"type": "number", "minimum": -NUMBER_LIMIT, "maximum": NUMBER_LIMIT},
            {"type": "boolean"},
        ]
        kwargs.setdefault("metadata", {}).update(
            {
                "oneOf": [
                    *scalar,
                    {"type": "array", "maxItems": MAX_VALUES, "items": {"oneOf": scalar}},
                ],
                "description": "What the fact is compared with; a list for in and not_in",
            }
        )
        super().__init__(**kwargs)

    @staticmethod
    def _scalar(value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            if not abs(value) <= NUMBER_LIMIT:
                raise ValidationError("Not a valid number.")
            return value
        if isinstance(value, str):
            if len(value) > MAX_VALUE_LENGTH:
                raise ValidationError(f"Longer than maximum length {MAX_VALUE_LENGTH}.")
            return value
        raise ValidationError("Give a string, number or boolean, or a list of them.")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, list):
            if len(value) > MAX_VALUES:
                raise ValidationError(f"At most {MAX_VALUES} values.")
            return [self._scalar(v) for v in value]
        return self._scalar(value)


class RuleCheckSchema(BaseSchema):
    fact = StrictString(required=True, validate=validate.OneOf(FACTS))
    op = StrictString(validate=validate.OneOf(OPS))
    value = RuleValue()
    key = StrictString(
        validate=[validate.Length(max=64), RULE_KEY],
        metadata={"description": "form: the form field's key"},
    )
    certificate_type = StrictString(
        validate=validate.OneOf(CERTIFICATE_TYPES),
        metadata={"description": "holds_certificate, certificate_field: the certificate type"},
    )
    field = StrictString(
        validate=[validate.Length(max=64), RULE_KEY],
        metadata={"description": "certificate_field: the field of the certificate's data"},
    )


class RuleSchema(RuleCheckSchema):
    fact = StrictString(validate=validate.OneOf(FACTS))
    id = StrictString(
        required=True,
        validate=[validate.Length(max=64), RULE_KEY],
        metadata={"description": "Named in failed_rules when the rule does not hold"},
    )
    description = StrictString(validate=validate.Length(max=500))
    any = fields.List(
        fields.Nested(RuleCheckSchema),
        validate=validate.Length(min=1, max=MAX_ANY),
        metadata={"description": "Instead of a fact: holds when one of these checks holds"},
    )


class AutoApprovalSchema(BaseSchema):
    """A service item's instant-approval rule set."""

    version = StrictInteger(
        required=True,
        minimum=1,
        maximum=VERSION_MAX,
        metadata={"description": "Recorded in each decision (decision.rules_version)"},
    )
    rules = fields.List(
        fields.Nested(RuleSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_RULES),
        metadata={"description": LANGUAGE},
    )


AUTO_APPROVAL_EXAMPLE: dict[str, Any] = {
    "version": 1,
    "rules": [
        {
            "id": "adult",
            "description": "申请人年满18周岁",
            "fact": "age",
            "op": "ge",
            "value": 18,
        },
        {
            "id": "local_resident",
            "description": "杭州市户籍",
            "fact": "region",
            "op": "in",
            "value": ["330100"],
        },
        {"id": "has_id_card", "fact": "holds_certificate", "certificate_type": "resident_id_card"},
    ],
}


class AutoApprovalTestSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {
        "form": {"company_name": "杭州示例科技有限公司", "registered_capital": 100000},
        "applicant_id": "665f1c2e8b3a4d0012345678",
    }

    form = fields.Dict(
        keys=StrictString(validate=validate.Length(max=64)),
        **bounded_map(
            50, required=True, metadata={"description": "Form values as an applicant sends them"}
        ),
    )
    applicant_id = Id(required=True, metadata={"description": "Whose wallet and ID number"})


class FailedCheckSchema(ResponseSchema):
    fact = fields.String(required=True)
    key = fields.String(metadata={"optional": True})
    certificate_type = fields.String(metadata={"optional": True})
    field = fields.String(metadata={"optional": True})
    op = fields.String(metadata={"optional": True})
    reason = fields.String(required=True)


class FailedRuleSchema(ResponseSchema):
    id = fields.String(required=True)
    description = fields.String(allow_none=True)
    checks = fields.List(fields.Nested(FailedCheckSchema), required=True)


class DecisionInputSchema(ResponseSchema):
    rule = fields.String(required=True)
    fact = fields.String(required=True)
    value = fields.Raw(allow_none=True, metadata={"description": "The value the rule read"})


class AutoApprovalResultSchema(ResponseSchema):
    approved = fields.Boolean(required=True)
    rules_version = fields.Integer(required=True)
    failed_rules = fields.List(fields.Nested(FailedRuleSchema), required=True)
    inputs = fields.List(fields.Nested(DecisionInputSchema), required=True)


class DecisionSchema(ResponseSchema):
    mode = fields.String(required=True, metadata={"enum": ["automatic"]})
    rules_version = fields.Integer(required=True)
    inputs = fields.List(fields.Nested(DecisionInputSchema), required=True)
    decided_at = fields.DateTime(required=True)
