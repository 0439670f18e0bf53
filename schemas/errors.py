"""The error envelope, for documentation (app.http.errors builds the responses)."""

from marshmallow import Schema, fields


class ErrorSchema(Schema):
    code = fields.Integer(required=True, metadata={"description": "HTTP status code"})
    status = fields.String(required=True, metadata={"description": "HTTP reason phrase"})
    message = fields.String(required=True, metadata={"description": "What went wrong"})
    errors = fields.Dict(
        keys=fields.String(),
        metadata={"description": "Per-field messages, present on validation failures"},
    )
    request_id = fields.String(metadata={"description": "Quote it when reporting a problem"})
