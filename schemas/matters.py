"""Service items (matters): the definition admins write, the catalogue everyone reads."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import ValidationError, fields, validate, validates_schema

from app import i18n
from app.approval.rules import rule_set_problems
from app.catalogue import patterns
from app.catalogue.forms import FIELD_TYPES
from app.catalogue.service import (
    AUDIENCES,
    CATEGORIES,
    DELIVERY_CHANNELS,
    MAX_SEARCH_LENGTH,
    TIME_UNITS,
)
from app.wallet.certificates import CERTIFICATE_TYPES
from schemas.approval import AUTO_APPROVAL_EXAMPLE, AutoApprovalSchema
from schemas.base import (
    VERSION_MAX,
    BaseSchema,
    BoundedInt,
    LocalizedName,
    NameInput,
    PageArgs,
    QuerySchema,
    ResponseSchema,
    StrictBoolean,
    StrictInteger,
    StrictNumeric,
    StrictString,
    UTCDateTime,
)

MATTER_CODE = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"
KEY = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="Use snake_case: a-z, 0-9 and _.")
DEPARTMENT_CODE = validate.Regexp(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")
MAX_PATTERN_LENGTH = 200
MAX_FEE = 1_000_000_000
MAX_MATTER_MATERIALS = 50  # materials a service item may require (so an application cites)
MAX_FORM_FIELDS = 50  # fields of a service item's form (so keys of an application's form)


def _unique(values: list[Any]) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("Items must be unique.")


# The example of a service item's definition (POST /admin/matters, PUT /admin/matters/{code}).
MATTER_EXAMPLE: dict[str, Any] = {
    "code": "ZJ-COMPANY-SETUP",
    "name": {"zh-CN": "企业开办（设立登记）一件事", "en": "Company establishment registration"},
    "category": "company",
    "audience": ["enterprise"],
    "region": "330100",
    "lead_department": "AMR-330100",
    "co_departments": ["TAX-330100"],
    "materials": [
        {"key": "articles", "name": "公司章程", "required": True},
        {
            "key": "legal_rep_id",
            "name": "法定代表人身份证",
            "required": True,
            "certificate_type": "resident_id_card",
        },
    ],
    "form": [
        {
            "key": "company_name",
            "label": "拟设公司名称",
            "type": "string",
            "required": True,
            "max_length": 100,
        },
        {
            "key": "registered_capital",
            "label": "注册资本（元）",
            "type": "number",
            "required": True,
            "min": 0,
        },
    ],
    "time_limit": {"value": 1, "unit": "working_days"},
    "max_visits": 0,
    "fee": 0,
    "delivery": ["electronic", "post"],
    "issues_certificate": "business_licence",
}


class CommitmentTermsSchema(BaseSchema):
    text = StrictString(required=True, validate=validate.Length(min=1, max=4000))
    version = StrictInteger(required=True, minimum=1, maximum=1_000_000)


class MatterMaterialSchema(BaseSchema):
    key = StrictString(required=True, validate=[validate.Length(max=64), KEY])
    name = StrictString(required=True, validate=validate.Length(min=1, max=200))
    required = StrictBoolean(required=True)
    certificate_type = StrictString(
        validate=validate.OneOf(CERTIFICATE_TYPES),
        metadata={"description": "A wallet certificate of this type satisfies the material"},
    )
    deferrable = StrictBoolean(
        metadata={
            "optional": True,
            "description": "Accept now, hand in later (容缺受理): a submission may omit it and "
            "hand it in after acceptance, within the deadline",
        }
    )
    commitment = fields.Nested(
        CommitmentTermsSchema,
        metadata={
            "optional": True,
            "description": "Proof by commitment (告知承诺制): the applicant's acceptance of "
            "this text replaces the document",
        },
    )

    @validates_schema(skip_on_field_errors=True)
    def _deferrable_is_required(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("deferrable") and not data.get("required"):
            raise ValidationError("Only a required material can be handed in later.", "deferrable")


class FormFieldSchema(BaseSchema):
    key = StrictString(required=True, validate=[validate.Length(max=64), KEY])
    label = StrictString(required=True, validate=validate.Length(min=1, max=200))
    type = StrictString(required=True, validate=validate.OneOf(FIELD_TYPES))
    required = StrictBoolean(load_default=False)
    min = StrictNumeric(metadata={"description": "number and integer fields only"})
    max = StrictNumeric(metadata={"description": "number and integer fields only"})
    max_length = StrictInteger(
        minimum=1, maximum=10_000, metadata={"description": "string fields only"}
    )
    pattern = StrictString(
        strip=False,
        validate=validate.Length(min=1, max=MAX_PATTERN_LENGTH),
        metadata={
            "description": "string fields only; the whole value must match. RE2 syntax "
            "(linear time): backreferences and lookaround are refused with 422 when saved"
        },
    )
    choices = fields.List(
        StrictString(validate=validate.Length(min=1, max=200)),
        validate=[validate.Length(min=1, max=200), _unique],
        metadata={"description": "required for, and only for, choice fields"},
    )

    @validates_schema(skip_on_field_errors=True)
    def _constraints_fit_the_type(self, data: dict[str, Any], **_: Any) -> None:
        kind = data["type"]
        errors: dict[str, list[str]] = {}
        numeric = kind in ("number", "integer")
        for bound in ("min", "max"):
            if bound not in data:
                continue
            if not numeric:
                errors[bound] = ["Only number and integer fields take min/max."]
            elif kind == "integer" and not float(data[bound]).is_integer():
                errors[bound] = ["An integer field's bound must be an integer."]
        if numeric and "min" in data and "max" in data and data["min"] > data["max"]:
            errors.setdefault("min", []).append("min must not exceed max.")
        if "max_length" in data and kind != "string":
            errors["max_length"] = ["Only string fields take max_length."]
        if "pattern" in data:
            if kind != "string":
                errors["pattern"] = ["Only string fields take a pattern."]
            else:
                # RE2 (linear time) runs every pattern; what it refuses would need backtracking.
                reason = patterns.problem(data["pattern"])
                if reason is not None:
                    errors["pattern"] = [
                        f"Not a pattern the linear-time engine (RE2) accepts: {reason}. "
                        "Backreferences and lookaround are not supported."
                    ]
        if kind == "choice" and "choices" not in data:
            errors["choices"] = ["A choice field needs its choices."]
        if kind != "choice" and "choices" in data:
            errors["choices"] = ["Only choice fields take choices."]
        if errors:
            raise ValidationError(errors)


class TimeLimitSchema(BaseSchema):
    value = StrictInteger(required=True, minimum=1, maximum=10_000)
    unit = StrictString(required=True, validate=validate.OneOf(TIME_UNITS))


class MatterDefinitionSchema(BaseSchema):
    """A service item as admins write it (PUT takes the same body; `code` may be left out)."""

    example: ClassVar[dict[str, Any]] = MATTER_EXAMPLE

    code = StrictString(
        required=True,
        validate=[validate.Length(max=64), validate.Regexp(MATTER_CODE)],
        metadata={"example": "ZJ-COMPANY-SETUP"},
    )
    name = NameInput(required=True)
    name_zh = StrictString(
        validate=validate.Length(max=200),
        metadata={
            "deprecated": True,
            "description": "Older form of the zh-CN name: with it, a plain `name` is the en name",
        },
    )
    description = StrictString(validate=validate.Length(max=4000))
    category = StrictString(required=True, validate=validate.OneOf(CATEGORIES))
    audience = fields.List(
        StrictString(validate=validate.OneOf(AUDIENCES)),
        required=True,
        validate=[validate.Length(min=1, max=len(AUDIENCES)), _unique],
    )
    region = StrictString(required=True, validate=validate.Regexp(r"^\d{6}$"))
    lead_department = StrictString(
        required=True, validate=[validate.Length(max=64), DEPARTMENT_CODE]
    )
    co_departments = fields.List(
        StrictString(validate=[validate.Length(max=64), DEPARTMENT_CODE]),
        load_default=list,
        validate=[validate.Length(max=20), _unique],
    )
    materials = fields.List(
        fields.Nested(MatterMaterialSchema),
        required=True,
        validate=validate.Length(max=MAX_MATTER_MATERIALS),
    )
    form = fields.List(
        fields.Nested(FormFieldSchema),
        required=True,
        validate=validate.Length(max=MAX_FORM_FIELDS),
    )
    time_limit = fields.Nested(TimeLimitSchema, required=True)
    max_visits = StrictInteger(
        required=True,
        minimum=0,
        maximum=10,
        metadata={"description": "0: fully online; 1: at most one visit"},
    )
    fee = StrictInteger(
        required=True,
        minimum=0,
        maximum=MAX_FEE,
        metadata={"description": "Fee in integer fen (1/100 CNY); 0: free", "example": 0},
    )
    delivery = fields.List(
        StrictString(validate=validate.OneOf(DELIVERY_CHANNELS)),
        required=True,
        validate=[validate.Length(min=1, max=len(DELIVERY_CHANNELS)), _unique],
    )
    issues_certificate = StrictString(
        required=True,
        allow_none=True,
        validate=validate.OneOf(CERTIFICATE_TYPES),
        metadata={
            "description": "Certificate type put in the applicant's wallet on completion",
            "x-enum-name": "CertificateType",
        },
    )
    auto_approval = fields.Nested(
        AutoApprovalSchema,
        metadata={
            "description": "Instant approval (秒批): rules that complete a submission at once",
            "example": AUTO_APPROVAL_EXAMPLE,
        },
    )

    @validates_schema(skip_on_field_errors=True)
    def _keys_are_unique(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        for part in ("materials", "form"):
            keys = [item["key"] for item in data.get(part, [])]
            if len(set(keys)) != len(keys):
                errors[part] = ["Each key may appear only once."]
        if data.get("lead_department") in data.get("co_departments", []):
            errors["co_departments"] = ["The lead department is not also a co-department."]
        if data.get("auto_approval"):
            problems = rule_set_problems(data["auto_approval"], data.get("form", []))
            if problems:
                errors["auto_approval"] = problems  # type: ignore[assignment]
        if errors:
            raise ValidationError(errors)


class MatterUpdateSchema(MatterDefinitionSchema):
    code = StrictString(
        validate=validate.Regexp(MATTER_CODE),
        metadata={"description": "Optional; when given it must equal the code in the path"},
    )


class MatterSchema(MatterDefinitionSchema, ResponseSchema):
    """A service item as the catalogue shows it: one version of its definition (a response:
    every field listed as required; a missing description is sent as null)."""

    description = StrictString(allow_none=True)

    version = fields.Integer(required=True)
    current = fields.Boolean(
        required=True, metadata={"description": "Whether new applications use this version"}
    )
    created_at = UTCDateTime(required=True)
    auto_approval = fields.Nested(AutoApprovalSchema, allow_none=True)
    name = LocalizedName(required=True)  # type: ignore[assignment]
    name_zh = fields.Function(  # type: ignore[assignment]
        lambda doc: i18n.localized(doc.get("name"), "zh-CN"),
        metadata={"type": "string", "deprecated": True, "description": "The zh-CN name"},
    )


class MatterSummarySchema(ResponseSchema):
    code = fields.String(required=True)
    version = fields.Integer(required=True)
    name = LocalizedName(required=True)
    name_zh = fields.Function(
        lambda doc: i18n.localized(doc.get("name"), "zh-CN"),
        metadata={"type": "string", "deprecated": True, "description": "The zh-CN name"},
    )
    category = fields.String(required=True)
    audience = fields.List(fields.String(), required=True)
    region = fields.String(required=True)
    lead_department = fields.String(required=True)
    time_limit = fields.Nested(TimeLimitSchema, required=True)
    max_visits = fields.Integer(required=True)
    fee = fields.Integer(required=True, metadata={"description": "Fee in integer fen (1/100 CNY)"})
    issues_certificate = fields.String(
        allow_none=True,
        required=True,
        metadata={"enum": [*CERTIFICATE_TYPES, None], "x-enum-name": "CertificateType"},
    )


class MatterListArgs(PageArgs):
    q = StrictString(
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "Words or characters of the name (English or Chinese), matched "
            "case-insensitively from the start of a word (anywhere in Chinese text); only "
            f"the first {MAX_SEARCH_LENGTH} characters count"
        },
    )
    category = StrictString(validate=validate.OneOf(CATEGORIES))
    audience = StrictString(validate=validate.OneOf(AUDIENCES))
    max_visits = BoundedInt(
        minimum=0,
        maximum=10,
        metadata={"description": "Items allowing exactly this many visits (0: fully online)"},
    )
    region = StrictString(
        validate=validate.Regexp(r"^\d{6}$"),
        metadata={
            "description": "Items a resident of this region can apply for: those of the region "
            "itself and of every region above it (province-wide items apply everywhere)"
        },
    )


class MatterVersionArgs(QuerySchema):
    version = BoundedInt(
        minimum=1,
        maximum=VERSION_MAX,
        metadata={"description": "An older version; the current one by default"},
    )
