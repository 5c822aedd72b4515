"""What the inbox's API reads and answers."""

from __future__ import annotations

from marshmallow import fields, validate

from points.notices.models import NoticeKind
from points.pagination import CursorArgsSchema, keyset_schema
from points.validation import Schema


class NoticeQuerySchema(CursorArgsSchema):
    unread = fields.Boolean(load_default=False, metadata={"description": "only unread notices"})


class NoticeSchema(Schema):
    id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(NoticeKind.values()))
    params = fields.Dict(metadata={"description": "the message's parameters"})
    text = fields.String(metadata={"description": "the message, in Chinese"})
    link = fields.String(allow_none=True, metadata={"description": "the page it is about"})
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    is_read = fields.Boolean()


NoticePageSchema = keyset_schema(NoticeSchema)


class UnreadSchema(Schema):
    unread = fields.Integer(metadata={"description": "unread notices, counted up to 100"})


class MarkedSchema(Schema):
    marked = fields.Integer(metadata={"description": "how many notices were marked read"})
