"""Regions and departments."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import fields, validate

from app import i18n
from schemas.base import (
    BaseSchema,
    BoundedInt,
    LocalizedName,
    NameInput,
    QuerySchema,
    ResponseSchema,
    StrictString,
)

DEPARTMENT_KINDS = ("government", "hotline", "mediation")


class RegionSchema(ResponseSchema):
    code = fields.String(attribute="_id", required=True, metadata={"example": "330100"})
    name = LocalizedName(required=True)
    name_zh = fields.Function(
        lambda doc: i18n.localized(doc.get("name"), "zh-CN"),
        metadata={"type": "string", "deprecated": True, "description": "The zh-CN name"},
    )
    parent = fields.String(allow_none=True)
    level = fields.String(metadata={"enum": ["province", "city", "county"]})


class DepartmentSchema(BaseSchema):
    code = StrictString(
        attribute="_id",
        data_key="code",
        required=True,
        validate=validate.Regexp(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"),
        metadata={"example": "AMR-330100"},
    )
    name = LocalizedName(required=True)
    name_zh = fields.Function(
        lambda doc: i18n.localized(doc.get("name"), "zh-CN"),
        metadata={"type": "string", "deprecated": True, "description": "The zh-CN name"},
    )
    region = StrictString(required=True, validate=validate.Regexp(r"^\d{6}$"))
    kind = StrictString(load_default="government", validate=validate.OneOf(DEPARTMENT_KINDS))


class DepartmentCreateSchema(DepartmentSchema):
    """A department as admins write it: the name in one or both languages."""

    example: ClassVar[dict[str, Any]] = {
        "code": "AMR-330106",
        "name": {"zh-CN": "杭州市西湖区市场监督管理局", "en": "Xihu District Market Regulation"},
        "region": "330106",
        "kind": "government",
    }

    name = NameInput(required=True)  # type: ignore[assignment]
    name_zh = StrictString(  # type: ignore[assignment]
        validate=validate.Length(max=200),
        metadata={
            "deprecated": True,
            "description": "Older form of the zh-CN name: with it, a plain `name` is the en name",
        },
    )


class DepartmentArgs(QuerySchema):
    region = StrictString(
        validate=validate.Regexp(r"^\d{6}$"),
        metadata={"description": "This region and everything below it"},
    )
    kind = StrictString(validate=validate.OneOf(DEPARTMENT_KINDS))
    limit = BoundedInt(load_default=100, minimum=1, maximum=100)
    cursor = fields.String(load_default=None, validate=validate.Length(max=512))
