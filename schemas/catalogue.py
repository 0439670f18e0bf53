"""Regions and departments."""

from __future__ import annotations

from marshmallow import fields, validate

from schemas.base import BaseSchema, QuerySchema, ResponseSchema, StrictString

DEPARTMENT_KINDS = ("government", "hotline", "mediation")


class RegionSchema(ResponseSchema):
    code = fields.String(attribute="_id", required=True, metadata={"example": "330100"})
    name = fields.String(required=True)
    name_zh = fields.String(metadata={"optional": True})
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
    name = StrictString(required=True, validate=validate.Length(min=1, max=200))
    name_zh = StrictString(validate=validate.Length(max=200))
    region = StrictString(required=True, validate=validate.Regexp(r"^\d{6}$"))
    kind = StrictString(load_default="government", validate=validate.OneOf(DEPARTMENT_KINDS))


class DepartmentArgs(QuerySchema):
    region = StrictString(
        validate=validate.Regexp(r"^\d{6}$"),
        metadata={"description": "This region and everything below it"},
    )
    kind = StrictString(validate=validate.OneOf(DEPARTMENT_KINDS))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=100))
    cursor = fields.String(load_default=None, validate=validate.Length(max=512))
