"""Bundles (一件事一次办) on the wire: the definition admins write, the catalogue everyone reads,
and the one application a resident files for a whole life event."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import ValidationError, fields, validate, validates_schema

from app.applications.rules import STATES as APPLICATION_STATES
from app.bundles import rules
from app.catalogue.service import AUDIENCES, MAX_SEARCH_LENGTH
from schemas.applications import FormField, MaterialRefSchema
from schemas.base import (
    VERSION_MAX,
    BaseSchema,
    BoundedInt,
    Id,
    LocalizedName,
    NameInput,
    PageArgs,
    QuerySchema,
    ResponseSchema,
    StrictString,
    UTCDateTime,
)
from schemas.cases import TimelineEntrySchema
from schemas.delivery import DeliveryAddressSchema
from schemas.matters import (
    KEY,
    MATTER_CODE,
    MAX_FORM_FIELDS,
    MAX_MATTER_MATERIALS,
    FormFieldSchema,
    TimeLimitSchema,
)

MAX_BUNDLE_ITEMS = 20
MATTER_CODE_FIELD = [validate.Length(max=64), validate.Regexp(MATTER_CODE)]

BUNDLE_EXAMPLE: dict[str, Any] = {
    "code": "ZJ-BIRTH-BUNDLE",
    "name": {"zh-CN": "出生一件事", "en": "A baby's birth (one thing, done once)"},
    "description": "出生医学证明、新生儿户口登记、生育津贴申领一次办",
    "audience": "person",
    "items": [
        {"matter_code": "ZJ-BIRTH-MED-CERT", "depends_on": [], "feeds": []},
        {
            "matter_code": "ZJ-NEWBORN-BUNDLE",
            "depends_on": ["ZJ-BIRTH-MED-CERT"],
            "feeds": [{"material_key": "birth_medical_cert", "from_matter": "ZJ-BIRTH-MED-CERT"}],
        },
    ],
    "shared_fields": [
        {"key": "child_name", "label": "新生儿姓名", "type": "string", "required": True},
        {"key": "birth_date", "label": "出生日期", "type": "date", "required": True},
    ],
    "time_limit": {"value": 5, "unit": "working_days"},
}


class FeedSchema(BaseSchema):
    material_key = StrictString(required=True, validate=[validate.Length(max=64), KEY])
    from_matter = StrictString(
        required=True,
        validate=MATTER_CODE_FIELD,
        metadata={"description": "The item of the bundle whose certificate is this material"},
    )


class BundleItemSchema(BaseSchema):
    matter_code = StrictString(required=True, validate=MATTER_CODE_FIELD)
    depends_on = fields.List(
        StrictString(validate=MATTER_CODE_FIELD),
        load_default=list,
        validate=validate.Length(max=MAX_BUNDLE_ITEMS),
        metadata={"description": "Items that must complete before this one is filed"},
    )
    feeds = fields.List(
        fields.Nested(FeedSchema),
        load_default=list,
        validate=validate.Length(max=MAX_MATTER_MATERIALS),
        metadata={
            "description": "Materials supplied by another item's certificate: this item is "
            "filed automatically, citing it, when that item completes"
        },
    )


class BundleDefinitionSchema(BaseSchema):
    """A bundle as admins write it (PUT takes the same body; `code` may be left out)."""

    example: ClassVar[dict[str, Any]] = BUNDLE_EXAMPLE

    code = StrictString(required=True, validate=MATTER_CODE_FIELD)
    name = NameInput(required=True)
    description = StrictString(validate=validate.Length(max=4000))
    audience = StrictString(required=True, validate=validate.OneOf(AUDIENCES))
    items = fields.List(
        fields.Nested(BundleItemSchema),
        required=True,
        validate=validate.Length(min=2, max=MAX_BUNDLE_ITEMS),
    )
    shared_fields = fields.List(
        fields.Nested(FormFieldSchema),
        load_default=list,
        validate=validate.Length(max=MAX_FORM_FIELDS),
        metadata={"description": "Fields asked once and given to every item that has them"},
    )
    time_limit = fields.Nested(
        TimeLimitSchema, required=True, metadata={"description": "The bundle's promise"}
    )

    @validates_schema(skip_on_field_errors=True)
    def _keys_are_unique(self, data: dict[str, Any], **_: Any) -> None:
        keys = [field["key"] for field in data.get("shared_fields", [])]
        if len(set(keys)) != len(keys):
            raise ValidationError({"shared_fields": ["Each key may appear only once."]})


class BundleUpdateSchema(BundleDefinitionSchema):
    code = StrictString(
        validate=MATTER_CODE_FIELD,
        metadata={"description": "Optional; when given it must equal the code in the path"},
    )


class FeedViewSchema(ResponseSchema):
    material_key = fields.String(required=True)
    from_matter = fields.String(required=True)


class BundleItemViewSchema(ResponseSchema):
    matter_code = fields.String(required=True)
    depends_on = fields.List(fields.String(), required=True)
    feeds = fields.List(fields.Nested(FeedViewSchema), required=True)


class BundleSchema(ResponseSchema):
    code = fields.String(required=True)
    version = fields.Integer(required=True)
    current = fields.Boolean(required=True)
    name = LocalizedName(required=True)
    description = fields.String(allow_none=True)
    audience = fields.String(required=True, metadata={"enum": list(AUDIENCES)})
    items = fields.List(fields.Nested(BundleItemViewSchema), required=True)
    shared_fields = fields.List(fields.Nested(FormFieldSchema), required=True)
    time_limit = fields.Nested(TimeLimitSchema, required=True)
    region = fields.String(required=True)
    lead_department = fields.String(
        required=True, metadata={"description": "The first item's: where the bundle is counted"}
    )
    created_at = UTCDateTime(required=True)


class BundleListArgs(PageArgs):
    q = StrictString(
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "Words or characters of the name (English or Chinese); only the "
            f"first {MAX_SEARCH_LENGTH} characters count"
        },
    )
    audience = StrictString(validate=validate.OneOf(AUDIENCES))


class BundleVersionArgs(QuerySchema):
    version = BoundedInt(
        minimum=1,
        maximum=VERSION_MAX,
        metadata={"description": "An older version; the current one by default"},
    )


# ------------------------------------------------------------------ bundle applications


class BundleApplicationCreateSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {
        "bundle_code": "ZJ-BIRTH-BUNDLE",
        "form": {
            "child_name": "王小明",
            "birth_date": "2026-11-20",
            "birth_weight_g": 3350,
            "birth_hospital": "浙江大学医学院附属妇产科医院",
            "child_gender": "male",
            "hukou_with": "father",
            "enrol_medical_insurance": True,
        },
        "materials": [
            {"key": "mother_id", "certificate_id": "6650c1f0a1b2c3d4e5f60719"},
            {"key": "delivery_record", "attachment_id": "6650c1f0a1b2c3d4e5f60718"},
            {"key": "parent_id", "certificate_id": "6650c1f0a1b2c3d4e5f60719"},
            {"key": "household_register", "certificate_id": "6650c1f0a1b2c3d4e5f6071a"},
        ],
        "delivery": "electronic",
    }

    bundle_code = StrictString(required=True, validate=validate.Length(min=1, max=64))
    form = FormField(
        required=True,
        metadata={"description": "The shared fields once, plus each item's own fields"},
    )
    materials = fields.List(
        fields.Nested(MaterialRefSchema),
        required=True,
        validate=validate.Length(max=MAX_MATTER_MATERIALS),
        metadata={
            "description": "Every item's materials; one citation serves every item "
            "asking for that key"
        },
    )
    delivery = StrictString(required=True, validate=validate.Length(min=1, max=32))
    delivery_address = fields.Nested(
        DeliveryAddressSchema,
        load_default=None,
        metadata={
            "description": 'Required with `delivery: "post"`; every item\'s result is posted '
            "there, those filed later included"
        },
    )


CHILD_STATES = [*APPLICATION_STATES, rules.WAITING, rules.NOT_FILED]


class BundleChildSchema(ResponseSchema):
    matter_code = fields.String(required=True)
    application_id = Id(allow_none=True, metadata={"description": "null until it is filed"})
    tracking_no = fields.String(allow_none=True)
    status = fields.String(
        required=True,
        metadata={
            "enum": CHILD_STATES,
            "description": "The application's status; `waiting` for the items it depends on, "
            "`not_filed` when one of them closed without completing",
        },
    )
    due_at = UTCDateTime(allow_none=True)
    depends_on = fields.List(fields.String(), required=True)


class BundleRefSchema(ResponseSchema):
    code = fields.String(required=True)
    version = fields.Integer(required=True)
    name = LocalizedName(required=True)


class BundleTimelineEntrySchema(TimelineEntrySchema):
    matter_code = fields.String(
        allow_none=True, metadata={"description": "The child's item; null for the bundle's own"}
    )


class BundleApplicationSchema(ResponseSchema):
    id = Id(attribute="_id")
    tracking_no = fields.String(metadata={"example": "YJ20261126000012"})
    status = fields.String(metadata={"enum": list(rules.STATES)})
    bundle_code = fields.String()
    bundle = fields.Nested(BundleRefSchema, metadata={"description": "The version applied under"})
    form = fields.Dict(metadata={"description": "The shared fields as given"})
    children = fields.List(fields.Nested(BundleChildSchema))
    region = fields.String()
    submitted_at = UTCDateTime()
    due_at = UTCDateTime(
        metadata={"description": "The latest of the bundle's promise and its children's due_at"}
    )
    completed_at = UTCDateTime(allow_none=True)
    closed_at = UTCDateTime(allow_none=True)
    timeline = fields.List(
        fields.Nested(BundleTimelineEntrySchema),
        metadata={"description": "The bundle's own entries and its children's, in time order"},
    )
    version = fields.Integer()
