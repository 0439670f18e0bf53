"""The error envelope, for documentation (app.http.errors builds the responses)."""

from marshmallow import Schema, fields

FIELD_ERRORS_REF = {"$ref": "#/components/schemas/FieldErrors"}
# Errors by field name (or list index): each a list of messages, or the nested errors of an
# object or list field, e.g. {"materials": {"0": {"attachment_id": ["Not a valid id."]}}}.
# A map whose values refer back to it: both generators make one recursive type of it.
FIELD_ERRORS = {
    "type": "object",
    "description": "Messages by field name or list index; nested bodies nest their errors",
    "additionalProperties": {
        "anyOf": [{"type": "array", "items": {"type": "string"}}, FIELD_ERRORS_REF]
    },
}


class ErrorSchema(Schema):
    code = fields.Integer(required=True, metadata={"description": "HTTP status code"})
    status = fields.String(required=True, metadata={"description": "HTTP reason phrase"})
    message = fields.String(required=True, metadata={"description": "What went wrong"})
    errors = fields.Raw(
        metadata={
            "allOf": [FIELD_ERRORS_REF],
            "description": "Per-field messages, present on validation failures; nested "
            "bodies nest their errors (`_body` for a body that could not be read)",
            "example": {"materials": {"0": {"attachment_id": ["Not a valid id."]}}},
        },
    )
    request_id = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Quote it when reporting a problem"},
    )
