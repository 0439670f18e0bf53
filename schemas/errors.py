"""The error envelope, for documentation (app.http.errors builds the responses)."""

from marshmallow import Schema, fields

FIELD_ERROR_REF = {"$ref": "#/components/schemas/FieldError"}
# One field's errors: its messages, or (a nested object or list) its members' errors by name
# or index, e.g. {"materials": {"0": {"attachment_id": ["Not a valid id."]}}}.
FIELD_ERROR = {
    "description": "Messages about one field, or its members' errors keyed by name or index",
    "anyOf": [
        {"type": "array", "items": {"type": "string"}},
        {"type": "object", "additionalProperties": FIELD_ERROR_REF},
    ],
}


class ErrorSchema(Schema):
    code = fields.Integer(required=True, metadata={"description": "HTTP status code"})
    status = fields.String(required=True, metadata={"description": "HTTP reason phrase"})
    message = fields.String(required=True, metadata={"description": "What went wrong"})
    errors = fields.Dict(
        keys=fields.String(),
        metadata={
            "description": "Per-field messages, present on validation failures; nested "
            "bodies nest their errors (`_body` for a body that could not be read)",
            "additionalProperties": FIELD_ERROR_REF,
            "example": {"materials": {"0": {"attachment_id": ["Not a valid id."]}}},
        },
    )
    request_id = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Quote it when reporting a problem"},
    )
