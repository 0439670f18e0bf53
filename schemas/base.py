"""Shared schema pieces: strict bodies, ids, UTC times with 'Z', and the page envelope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from app import clock, i18n
from app.pagination import DEFAULT_LIMIT, MAX_LIMIT


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
