"""Input and output schemas for logging in to the API."""

from __future__ import annotations

from marshmallow import fields, validate

from points.validation import Schema


class TokenRequestSchema(Schema):
    phone = fields.String(required=True, validate=validate.Length(min=1, max=20))
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))
    label = fields.String(load_default="", validate=validate.Length(max=100))


class TokenSchema(Schema):
    token = fields.String()
    token_type = fields.String()
    expires_at = fields.DateTime()
    person_id = fields.Integer()
