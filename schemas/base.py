"""Shared schema pieces: strict bodies, ids, UTC times with 'Z', and the page envelope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from flask import current_app, has_app_context
from marshmallow import RAISE, Schema, ValidationError, fields, post_dump, validate

from app import clock
from app.pagination import DEFAULT_LIMIT, MAX_LIMIT


class BaseSchema(Schema):
    """Request bodies: unknown fields are refused (no mass assignment)."""

    class Meta:
        unknown = RAISE
        ordered = True


class ResponseSchema(Schema):
    """Response bodies: every field is always sent, so the OpenAPI document lists every field
    as required (app.http.openapi). A nullable field with nothing to say is sent as null; a
    field that may be left out says so with `metadata={"optional": True}`. Tests fail on a
    response that leaves out a field it promises (a 500 in testing, so no suite can miss it)."""

    openapi_response = True

    @post_dump
    def send_every_field(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        for name, field in self.dump_fields.items():
            key = field.data_key or name
            if key in data or field.metadata.get("optional"):
                continue
            if field.allow_none:
                data[key] = None
            elif has_app_context() and current_app.testing:
                raise AssertionError(f"{type(self).__name__}.{key} is required but was not sent")
        return data


def required_in_response(schema: Schema) -> list[str]:
    """The response fields the OpenAPI document lists as required (see ResponseSchema)."""
    return [
        field.data_key or name
        for name, field in schema.dump_fields.items()
        if not field.metadata.get("optional")
    ]


class QuerySchema(Schema):
    """Query strings: undeclared parameters are ignored (webargs' default for the query
    location, so cache-busting parameters from proxies and apps do no harm)."""

    class Meta:
        ordered = True


class Id(fields.String):
    """A record id: an ObjectId in the database, a 24-hex string on the wire."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {}).setdefault("pattern", "^[0-9a-f]{24}$")
        super().__init__(**kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value)

    def _deserialize(  # type: ignore[override]
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> ObjectId:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not ObjectId.is_valid(text) or len(text) != 24:
            raise ValidationError("Not a valid id.")
        return ObjectId(text)


class UTCDateTime(fields.DateTime):
    """ISO 8601, always UTC with a trailing Z."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return clock.iso(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if parsed.tzinfo is None:
            raise ValidationError("Give a time zone, e.g. a trailing Z.")
        return parsed.astimezone(UTC)


class StrictString(fields.String):
    """A string, never an object or list (e.g. {"$ne": null} is refused with 422)."""

    def __init__(self, *, strip: bool = True, **kwargs: Any) -> None:
        self.strip = strip
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError("Not a valid string.")
        text = value.strip() if self.strip else value
        if "\x00" in text:
            raise ValidationError("Must not contain NUL characters.")
        return text


class StrictInteger(fields.Integer):
    """An integer; booleans and numeric strings are refused."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise ValidationError("Not a valid integer.")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictNumber(fields.Float):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError("Not a valid number.")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(fields.Boolean):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("Not a valid boolean.")
        return value


class PageArgs(QuerySchema):
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Page size, at most {MAX_LIMIT}"},
    )
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(max=512),
        metadata={"description": "Opaque cursor from next_cursor"},
    )


class CataloguePageArgs(PageArgs):
    """Short catalogue lists (regions, categories): the whole list is one page by default."""

    limit = fields.Integer(
        load_default=MAX_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Page size, at most {MAX_LIMIT} (the default)"},
    )


_pages: dict[str, type[Schema]] = {}


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The list envelope {items, next_cursor} for ITEM_SCHEMA (one named schema per item)."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    if name not in _pages:
        _pages[name] = type(
            name,
            (ResponseSchema,),
            {
                "items": fields.List(fields.Nested(item_schema), required=True),
                "next_cursor": fields.String(allow_none=True, required=True),
            },
        )
    return _pages[name]
