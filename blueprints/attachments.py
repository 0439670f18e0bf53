"""File uploads for applications and complaints, and their guarded downloads."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from marshmallow import fields

from app.accounts.auth import current_user
from app.http.api import Blueprint
from app.http.errors import ValidationFailed
from app.wallet import attachments
from schemas.base import BaseSchema, Id, ResponseSchema, UTCDateTime

blp = Blueprint(
    "attachments",
    __name__,
    url_prefix="/api/v1/attachments",
    description="Files (PDF, JPEG, PNG) cited by applications and complaints",
)


class AttachmentSchema(ResponseSchema):
    id = Id(attribute="_id", dump_only=True)
    filename = fields.String()
    content_type = fields.String(metadata={"enum": sorted(attachments.ALLOWED_TYPES)})
    size = fields.Integer()
    sha256 = fields.String()
    created_at = UTCDateTime()


class UploadSchema(BaseSchema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


@blp.route("")
class Attachments(MethodView):
    @blp.doc(operationId="uploadAttachment")
    @blp.links({"attachment_id": "$response.body#/id"}, "attachments.AttachmentById")
    @blp.auth()
    @blp.idempotent
    @Blueprint.accepts("multipart/form-data", max_bytes_setting="max_upload_bytes")
    @blp.arguments(UploadSchema, location="files")
    @blp.response(201, AttachmentSchema)
    @blp.alt_response(413, description="The file is larger than the upload limit")
    @blp.alt_response(415, description="Not a PDF, JPEG or PNG file (judged by content)")
    def post(self, _files):
        """Upload a file; its type is judged by its bytes, and its sha256 is recorded"""
        if request.form:  # UploadSchema sees the file parts only; no other part is taken
            raise ValidationFailed(
                "Send the file as the only part.",
                errors={name: ["Unknown field."] for name in request.form},
            )
        return attachments.store(current_user(), request.files.get("file"))


@blp.route("/<string:attachment_id>")
class AttachmentById(MethodView):
    @blp.doc(operationId="downloadAttachment")
    @blp.auth()
    @blp.not_found
    @blp.response(
        200,
        description="The file's bytes",
        content_type="application/octet-stream",
        headers={
            "ETag": {
                "description": "The SHA-256 of the file's bytes (a file never changes)",
                "schema": {"type": "string"},
            }
        },
    )
    def get(self, attachment_id):
        """Download a file: its owner, or staff of a case that cites it"""
        doc = attachments.readable(current_user(), attachment_id)
        stream = attachments.open_stream(doc)

        def chunks():
            try:
                while chunk := stream.read(256 * 1024):
                    yield chunk
            finally:
                stream.close()

        response = Response(chunks(), mimetype=doc["content_type"], direct_passthrough=True)
        response.headers["Content-Length"] = str(doc["size"])
        response.headers["Content-Disposition"] = (
            f'attachment; filename="{doc["filename"].encode("ascii", "replace").decode()}"; '
            f"filename*=UTF-8''{_quote(doc['filename'])}"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["ETag"] = f'"{doc["sha256"]}"'
        return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
