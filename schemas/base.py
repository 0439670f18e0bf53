"""Shared schema pieces: strict bodies, ids, UTC times with 'Z', and the page envelope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from flask import current_app, has_app_context
from marshmallow import RAISE, Schema, ValidationError, fields, post_dump, validate

from app import clock, i18n
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


# What a BSON 64-bit integer holds: pymongo cannot encode a wider int (OverflowError), so no
# request field may take one.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# Magnitude of any other number a request carries (amounts, form bounds): exact as a double,
# and inside int64 when it is an integer.
NUMBER_LIMIT = 10**15
# Record versions (compare-and-set counters) and other counts a client may name.
VERSION_MAX = 2**31 - 1


def _bounds(minimum: float, maximum: float, extra: Any) -> list[Any]:
    if extra is None:
        extra = []
    elif callable(extra):
        extra = [extra]
    return [validate.Range(min=minimum, max=maximum), *extra]


class BoundedInt(fields.Integer):
    """An integer between `minimum` and `maximum`, both stated in the OpenAPI document; never
    wider than int64. Query strings parse their digits (`strict=False`); bodies use
    StrictInteger. A value outside the bounds is a 422 like any other invalid field."""

    def __init__(
        self,
        *,
        minimum: int = INT64_MIN,
        maximum: int = INT64_MAX,
        strict: bool = False,
        validate: Any = None,
        **kwargs: Any,
    ) -> None:
        if not INT64_MIN <= minimum <= maximum <= INT64_MAX:
            raise ValueError(f"bounds {minimum}..{maximum} do not fit in int64")
        super().__init__(strict=strict, validate=_bounds(minimum, maximum, validate), **kwargs)


class StrictInteger(BoundedInt):
    """A JSON integer within bounds; booleans and numeric strings are refused."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise ValidationError("Not a valid integer.")
        return super()._deserialize(value, attr, data, **kwargs)


def _json_number(value: Any) -> int | float:
    """VALUE if it is a JSON number; booleans, strings and objects are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError("Not a valid number.")
    return value


class StrictNumber(fields.Float):
    """A JSON number within bounds (±NUMBER_LIMIT by default), read as a float."""

    def __init__(
        self,
        *,
        minimum: float = -NUMBER_LIMIT,
        maximum: float = NUMBER_LIMIT,
        validate: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(validate=_bounds(minimum, maximum, validate), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        return super()._deserialize(_json_number(value), attr, data, **kwargs)


class StrictNumeric(fields.Number):
    """A JSON number within bounds (±NUMBER_LIMIT by default), kept as sent (an int stays an
    int); booleans, strings, objects, NaN and infinities refused."""

    num_type = float

    def __init__(
        self,
        *,
        minimum: float = -NUMBER_LIMIT,
        maximum: float = NUMBER_LIMIT,
        validate: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(validate=_bounds(minimum, maximum, validate), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        value = _json_number(value)
        if value != value or value in (float("inf"), float("-inf")):
            raise ValidationError("Not a valid number.")
        return value

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value


class StrictBoolean(fields.Boolean):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("Not a valid boolean.")
        return value


class NameInput(fields.Field):
    """A catalogue name as written (API.md "Languages"): a plain string (the zh-CN name) or
    `{"zh-CN": "...", "en": "..."}` (zh-CN required). Loads as written; the service stores
    it with `i18n.names()`."""

    def __init__(self, *, max_length: int = 200, **kwargs: Any) -> None:
        self.max_length = max_length
        text = {"type": "string", "minLength": 1, "maxLength": max_length}
        kwargs.setdefault("metadata", {}).update(
            {
                "oneOf": [
                    {**text, "description": "The name in zh-CN"},
                    {
                        "type": "object",
                        "properties": {lang: text for lang in i18n.LANGUAGES},
                        "required": [i18n.DEFAULT_LANGUAGE],
                        "additionalProperties": False,
                        "description": "The name in each language; en falls back to zh-CN",
                    },
                ],
                "example": {"zh-CN": "企业设立登记", "en": "Company establishment registration"},
            }
        )
        super().__init__(**kwargs)

    def _text(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError("Not a valid string.")
        text = value.strip()
        if not text:
            raise ValidationError("Shorter than minimum length 1.")
        if len(text) > self.max_length:
            raise ValidationError(f"Longer than maximum length {self.max_length}.")
        if "\x00" in text:
            raise ValidationError("Must not contain NUL characters.")
        return text

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return i18n.localized(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            return self._text(value)
        if not isinstance(value, dict):
            raise ValidationError("Give a string or an object of names by language.")
        errors: dict[str, list[str]] = {}
        names: dict[str, str] = {}
        for lang in value:
            if lang not in i18n.LANGUAGES:
                errors[str(lang)] = ["Unknown field."]
        if i18n.DEFAULT_LANGUAGE not in value:
            errors[i18n.DEFAULT_LANGUAGE] = ["Missing data for required field."]
        for lang in i18n.LANGUAGES:
            if lang in value:
                try:
                    names[lang] = self._text(value[lang])
                except ValidationError as exc:
                    errors[lang] = list(exc.messages)
        if errors:
            raise ValidationError(errors)
        return names


class LocalizedName(fields.Field):
    """A stored catalogue name answered in the request's language (zh-CN when en is missing);
    older plain-string names as they are."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {}).setdefault("type", "string")
        kwargs["metadata"].setdefault(
            "description", "In the language of Accept-Language (zh-CN, or en when there is one)"
        )
        super().__init__(**kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return i18n.localized(value)


class PageArgs(QuerySchema):
    limit = BoundedInt(
        load_default=DEFAULT_LIMIT,
        minimum=1,
        maximum=MAX_LIMIT,
        metadata={"description": f"Page size, at most {MAX_LIMIT}"},
    )
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(max=512),
        metadata={"description": "Opaque cursor from next_cursor"},
    )


class CataloguePageArgs(PageArgs):
    """Short catalogue lists (regions, categories): the whole list is one page by default."""

    limit = BoundedInt(
        load_default=MAX_LIMIT,
        minimum=1,
        maximum=MAX_LIMIT,
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
