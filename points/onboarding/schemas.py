"""What registration, codes and consent read and answer (pages and API alike)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from points.labels import N_
from points.onboarding.phones import BAD_PHONE, mobile_or_none
from points.people.passwords import MAX_LENGTH, MIN_LENGTH
from points.schema_fields import not_blank
from points.validation import Schema


def _mobile(value: str) -> None:
    if mobile_or_none(value) is None:
        raise ma.ValidationError(BAD_PHONE)


class CodeRequestSchema(Schema):
    phone = fields.String(required=True, validate=validate.Length(min=1, max=32))


class RegisterSchema(Schema):
    # The phone is checked with the other fields, so every mistake is reported at once.
    phone = fields.String(required=True, validate=[validate.Length(min=1, max=32), _mobile])
    name = fields.String(required=True, validate=[validate.Length(min=1, max=50), not_blank])
    grid_id = fields.Integer(
        required=True, metadata={"description": "the grid one lives in (GET /register/homes)"}
    )
    password = fields.String(
        required=True, validate=validate.Length(min=MIN_LENGTH, max=MAX_LENGTH), metadata={"verbatim": True}
    )
    consent = fields.Boolean(
        load_default=False, metadata={"description": "agreed to the current privacy notice"}
    )
    code = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=6),
        metadata={"description": "SMS code"},
    )


class RegisterFormSchema(RegisterSchema):
    password_again = fields.String(
        required=True, validate=validate.Length(max=MAX_LENGTH), metadata={"verbatim": True}
    )

    @ma.validates_schema
    def _same(self, data, **_):
        if data.get("password") != data.get("password_again"):
            raise ma.ValidationError(N_("两次输入的密码不一致"), "password_again")


class RegisteredSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    needs_confirmation = fields.Boolean(
        metadata={"description": "no verified phone: staff confirm the account before it earns points"}
    )
    consent_version = fields.String()


class HomeSchema(Schema):
    grid_id = fields.Integer()
    community_id = fields.Integer()
    label = fields.String()


class NoticeInfoSchema(Schema):
    privacy_notice_version = fields.String()
    phone_codes = fields.Boolean(metadata={"description": "whether registering needs an SMS code"})
    homes = fields.List(fields.Nested(HomeSchema))


class ConsentSchema(Schema):
    version = fields.String(required=True, validate=validate.Length(min=1, max=20))
