"""Input and output schemas for logging in (the API's token, and the pages' login and password
confirmation forms)."""

from __future__ import annotations

from marshmallow import fields, validate

from points.people.passwords import MAX_LENGTH
from points.validation import Schema

# The phone as typed (an unknown one is counted like a real one), and any password: the policy
# applies where a password is set, not where it is typed.
PHONE = validate.Length(min=1, max=20)
PASSWORD = validate.Length(min=1, max=MAX_LENGTH)


class TokenRequestSchema(Schema):
    phone = fields.String(required=True, validate=PHONE)
    password = fields.String(required=True, validate=PASSWORD, metadata={"verbatim": True})
    label = fields.String(load_default="", validate=validate.Length(max=100))


class PasswordConfirmSchema(Schema):
    """The password typed again before a sensitive action (pages)."""

    password = fields.String(required=True, validate=PASSWORD, metadata={"verbatim": True})


class TokenSchema(Schema):
    token = fields.String()
    token_type = fields.String()
    expires_at = fields.DateTime()
    person_id = fields.Integer()
