"""Applications on the wire: what the resident and staff apps send, and the case they get."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import ValidationError, fields, validate, validates_schema

from app.applications.rules import STATES
from schemas.approval import DecisionSchema
from schemas.base import (
    BaseSchema,
    Id,
    LocalizedName,
    PageArgs,
    ResponseSchema,
    StrictBoolean,
    StrictInteger,
    StrictString,
    UTCDateTime,
    bounded_map,
)
from schemas.cases import TimelineEntrySchema
from schemas.delivery import DeliveryAddressSchema, DeliveryAddressViewSchema
from schemas.matters import MAX_FORM_FIELDS, MAX_MATTER_MATERIALS
from schemas.payments import PaymentSummarySchema

# ------------------------------------------------------------------ requests


class CommitmentAcceptanceSchema(BaseSchema):
    version = StrictInteger(
        required=True,
        minimum=1,
        maximum=1_000_000,
        metadata={"description": "The version of the material's commitment text you accept"},
    )
    accepted = StrictBoolean(required=True, metadata={"description": "Must be true"})


class MaterialRefSchema(BaseSchema):
    """A required material: the key and exactly one source, an attachment, a certificate or,
    where the service item allows it, the applicant's commitment (告知承诺制)."""

    # Documented as one of three named shapes (app.http.openapi), one typed class each.
    openapi_one_of = {
        "AttachmentMaterialRef": ("attachment_id",),
        "WalletMaterialRef": ("certificate_id",),
        "CommitmentMaterialRef": ("commitment",),
    }
    key = StrictString(required=True, validate=validate.Length(min=1, max=64))
    attachment_id = Id(metadata={"description": "An attachment you uploaded"})
    certificate_id = Id(
        metadata={"description": "A certificate in your wallet of the material's type"}
    )

    commitment = fields.Nested(
        CommitmentAcceptanceSchema,
        metadata={"description": "Your commitment in place of the proof (告知承诺制)"},
    )

    @validates_schema
    def exactly_one_source(self, data: dict[str, Any], **_: Any) -> None:
        sources = ("attachment_id", "certificate_id", "commitment")
        given = [k for k in sources if data.get(k) is not None]
        if len(given) != 1:
            raise ValidationError(
                "Give exactly one of attachment_id, certificate_id or commitment.",
                "attachment_id",
            )


class FormField(fields.Dict):
    """The form object; each value is checked against the service item's form definition
    (which has at most MAX_FORM_FIELDS fields)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            keys=StrictString(validate=validate.Length(max=64)),
            **bounded_map(MAX_FORM_FIELDS, **kwargs),
        )


class ApplicationCreateSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {
        "matter_code": "ZJ-COMPANY-SETUP",
        "form": {
            "company_name": "杭州西湖小林茶叶有限公司",
            "registered_capital": 500000,
            "business_scope": "retail",
        },
        "materials": [
            {"key": "articles", "attachment_id": "6650c1f0a1b2c3d4e5f60718"},
            {"key": "legal_rep_id", "certificate_id": "6650c1f0a1b2c3d4e5f60719"},
        ],
        "delivery": "electronic",
    }

    matter_code = StrictString(required=True, validate=validate.Length(min=1, max=64))
    form = FormField(required=True)
    materials = fields.List(
        fields.Nested(MaterialRefSchema),
        required=True,
        validate=validate.Length(max=MAX_MATTER_MATERIALS),
    )
    delivery = StrictString(required=True, validate=validate.Length(min=1, max=32))
    delivery_address = fields.Nested(
        DeliveryAddressSchema,
        load_default=None,
        metadata={"description": 'Required with `delivery: "post"`'},
    )


class ReviewDecisionSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {"decision": "approve", "opinion": "材料齐全，符合设立条件"}

    decision = StrictString(required=True, validate=validate.OneOf(["approve", "reject"]))
    opinion = StrictString(load_default=None, validate=validate.Length(max=2000))

    @validates_schema
    def reasons_for_rejection(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("decision") == "reject" and not data.get("opinion"):
            raise ValidationError("Say why the department rejects.", "opinion")


class SupplementRequestSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {
        "materials": ["premises_proof"],
        "reason": "请补交经营场所证明（租赁合同或房产证）",
    }

    materials = fields.List(
        StrictString(validate=validate.Length(min=1, max=64)),
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "Keys of the materials the applicant must hand in"},
    )
    reason = StrictString(required=True, validate=validate.Length(min=1, max=2000))


class SupplementSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {
        "materials": [{"key": "premises_proof", "attachment_id": "6650c1f0a1b2c3d4e5f6071a"}],
        "note": "已补交经营场所租赁合同",
    }

    materials = fields.List(
        fields.Nested(MaterialRefSchema), required=True, validate=validate.Length(min=1, max=50)
    )
    note = StrictString(load_default=None, validate=validate.Length(max=2000))


class CommitmentVerificationSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {
        "result": "false",
        "note": "经核查，申请人承诺的无违法记录与公安记录不符",
    }

    result = StrictString(required=True, validate=validate.OneOf(["confirmed", "false"]))
    note = StrictString(load_default=None, validate=validate.Length(max=2000))

    @validates_schema
    def reasons_for_false(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("result") == "false" and not data.get("note"):
            raise ValidationError("Say why the commitment is false.", "note")


class VisitSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {"purpose": "核验营业执照原件"}

    purpose = StrictString(required=True, validate=validate.Length(min=1, max=500))


class ApplicationListArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(STATES))


# ------------------------------------------------------------------ responses


class MatterRefSchema(ResponseSchema):
    code = fields.String()
    version = fields.Integer()
    name = LocalizedName()


class EnterpriseViewSchema(ResponseSchema):
    name = fields.String()
    credit_code = fields.String(metadata={"description": "Masked"})


class ApplicantSchema(ResponseSchema):
    id = Id()
    kind = fields.String(metadata={"enum": ["person", "enterprise"]})
    name = fields.String(metadata={"description": "Masked, e.g. 张**"})
    phone = fields.String(allow_none=True, metadata={"description": "Masked, e.g. 138****5678"})
    id_number = fields.String(
        allow_none=True, metadata={"description": "Masked, e.g. 330106********1234"}
    )
    enterprise = fields.Nested(EnterpriseViewSchema, allow_none=True)


class CommitmentRecordSchema(ResponseSchema):
    version = fields.Integer()
    sha256 = fields.String(metadata={"description": "SHA-256 of the commitment text accepted"})
    accepted_at = UTCDateTime()


class CitedMaterialSchema(ResponseSchema):
    key = fields.String()
    name = fields.String(allow_none=True)
    # One source per material: an attachment, or a wallet certificate and its type.
    attachment_id = Id(metadata={"optional": True})
    certificate_id = Id(metadata={"optional": True})
    certificate_type = fields.String(metadata={"optional": True})
    commitment = fields.Nested(CommitmentRecordSchema, metadata={"optional": True})


class DeferredMaterialSchema(ResponseSchema):
    key = fields.String()
    due_at = UTCDateTime()


class ReviewSchema(ResponseSchema):
    department = fields.String()
    status = fields.String(metadata={"enum": ["pending", "approved", "rejected"]})
    opinion = fields.String(allow_none=True)
    decided_at = UTCDateTime(allow_none=True)


class SupplementRequestViewSchema(ResponseSchema):
    materials = fields.List(fields.String())
    reason = fields.String()
    department = fields.String()
    requested_at = UTCDateTime()


class StaffRefSchema(ResponseSchema):
    id = fields.String()
    name = fields.String()
    department = fields.String(allow_none=True)


class CommitmentVerificationViewSchema(ResponseSchema):
    status = fields.String(metadata={"enum": ["pending", "confirmed", "false"]})
    department = fields.String()
    materials = fields.List(fields.String(), metadata={"description": "Keys given by commitment"})
    opened_at = UTCDateTime()
    result = fields.String(allow_none=True, metadata={"enum": ["confirmed", "false", None]})
    note = fields.String(allow_none=True)
    decided_at = UTCDateTime(allow_none=True)
    decided_by = fields.Nested(StaffRefSchema, allow_none=True)


class VisitViewSchema(ResponseSchema):
    at = UTCDateTime()
    purpose = fields.String()
    staff = fields.Nested(StaffRefSchema)


class RatedPersonSchema(ResponseSchema):
    id = fields.String()
    name = fields.String(allow_none=True)
    department = fields.String(allow_none=True)


class RatingViewSchema(ResponseSchema):
    score = fields.Integer()
    comment = fields.String(allow_none=True)
    at = UTCDateTime()
    tags = fields.List(fields.String(), metadata={"optional": True})
    target = fields.String(
        metadata={"enum": ["case", "window", "staff"], "optional": True},
    )
    window = fields.Nested(RatedPersonSchema, allow_none=True, metadata={"optional": True})
    staff = fields.Nested(RatedPersonSchema, allow_none=True, metadata={"optional": True})
    round = fields.Integer(metadata={"description": "2: the re-rating", "optional": True})
    rectification_id = Id(
        allow_none=True,
        metadata={"description": "The rectification a bad rating opened", "optional": True},
    )
    excluded = fields.Boolean(
        metadata={"description": "Taken out of the KPIs by an upheld appeal", "optional": True}
    )


class ApplicationSchema(ResponseSchema):
    id = Id(attribute="_id")
    tracking_no = fields.String(metadata={"example": "ZJ20261126000123"})
    status = fields.String(metadata={"enum": list(STATES)})
    applicant = fields.Nested(ApplicantSchema)
    matter_code = fields.String(attribute="matter.code", metadata={"description": "As submitted"})
    matter = fields.Nested(MatterRefSchema, metadata={"description": "The version applied under"})
    form = fields.Dict()
    materials = fields.List(fields.Nested(CitedMaterialSchema))
    delivery = fields.String()
    delivery_address = fields.Nested(
        DeliveryAddressViewSchema,
        allow_none=True,
        metadata={
            "description": "With postal delivery; masked except for the applicant and the "
            "lead department"
        },
    )
    payment = fields.Nested(
        PaymentSummarySchema,
        allow_none=True,
        metadata={"description": "The fee (null: the service item is free)"},
    )
    region = fields.String()
    department = fields.String(metadata={"description": "The lead department"})
    co_departments = fields.List(fields.String())
    submitted_at = UTCDateTime()
    accepted_at = UTCDateTime(allow_none=True)
    due_at = UTCDateTime(allow_none=True)
    completed_at = UTCDateTime(allow_none=True)
    overdue = fields.Boolean()
    reviews = fields.List(fields.Nested(ReviewSchema))
    supplement_request = fields.Nested(SupplementRequestViewSchema, allow_none=True)
    deferred_materials = fields.List(
        fields.Nested(DeferredMaterialSchema),
        metadata={
            "description": "Materials accepted for later (容缺受理) still to hand in, set at "
            "acceptance; hand them in with POST /applications/{id}/supplements"
        },
    )
    visits = fields.List(fields.Nested(VisitViewSchema))
    visit_count = fields.Integer()
    timeline = fields.List(fields.Nested(TimelineEntrySchema))
    certificate_id = Id(allow_none=True)
    rating = fields.Nested(RatingViewSchema, allow_none=True)
    decision = fields.Nested(
        DecisionSchema,
        allow_none=True,
        metadata={"description": "Set when the instant-approval rules decided the case (秒批)"},
    )
    verification = fields.Nested(
        CommitmentVerificationViewSchema,
        allow_none=True,
        metadata={
            "description": "The lead department's check of commitments that replaced proofs "
            "(告知承诺制), opened at completion; POST /applications/{id}/verification"
        },
    )
    version = fields.Integer()


class ApplicationSummarySchema(ResponseSchema):
    """One line of 'my applications'."""

    id = Id(attribute="_id")
    tracking_no = fields.String()
    status = fields.String(metadata={"enum": list(STATES)})
    matter = fields.Nested(MatterRefSchema)
    submitted_at = UTCDateTime()
    due_at = UTCDateTime(allow_none=True)
    completed_at = UTCDateTime(allow_none=True)
    overdue = fields.Boolean()
    version = fields.Integer()
