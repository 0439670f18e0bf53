"""Shared schema pieces: strict bodies, ids, UTC times with 'Z', and the page envelope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from app import clock
from app.pagination import DEFAULT_LIMIT, MAX_LIMIT

# Every string a client sends has a maximum length, every list a maximum size and every map a
# maximum number of keys, stated in its schema (so in OpenAPI): a request's cost, and the size
# of the 422 that lists its errors, are bounded by the schema, not only by the body limit.
# A string field that states no length of its own gets this one.
MAX_STRING_LENGTH = 4000


class MaxKeys:
    """Validator: a map (dict field) of at most MAX keys; documented as maxProperties by the
    field helper `bounded_map`."""

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) > self.maximum:
            raise ValidationError(f"At most {self.maximum} keys.")
        return value


def bounded_map(maximum: int, **kwargs: Any) -> dict[str, Any]:
    """Keyword arguments for a fields.Dict of at most MAXIMUM keys (validated and documented)."""
    validators = kwargs.pop("validate", None) or []
    validators = [validators] if callable(validators) else list(validators)
    metadata = {**kwargs.pop("metadata", {}), "maxProperties": maximum}
    return {"validate": [MaxKeys(maximum), *validators], "metadata": metadata, **kwargs}


class BaseSchema(Schema):
    """Request bodies: unknown fields are refused (no mass assignment)."""

    class Meta:
        unknown = RAISE
        ordered = True


class QuerySchema(Schema):
    """Query strings: undeclared parameters are ignored (webargs' default for the query
    location, so cache-busting parameters from proxies and apps do no harm)."""

    class Meta:
        ordered = True


class Id(fields.String):
    """A record id: an ObjectId in the database, a 24-hex string on the wire."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {}).setdefault("pattern", "^[0-9a-f]{24}$")
        kwargs["metadata"].setdefault("maxLength", 24)
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
        validators = kwargs.get("validate") or []
        validators = [validators] if callable(validators) else list(validators)
        if not any(isinstance(v, validate.Length) and v.max is not None for v in validators):
            validators.append(validate.Length(max=MAX_STRING_LENGTH))
        kwargs["validate"] = validators
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


_pages: dict[str, type[Schema]] = {}


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The list envelope {items, next_cursor} for ITEM_SCHEMA (one named schema per item)."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    if name not in _pages:
        _pages[name] = type(
            name,
            (Schema,),
            {
                "items": fields.List(fields.Nested(item_schema), required=True),
                "next_cursor": fields.String(allow_none=True, required=True),
            },
        )
    return _pages[name]
