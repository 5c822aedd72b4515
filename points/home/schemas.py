"""What `/api/v1/me` answers: the caller as several domains hold them."""

from __future__ import annotations

from marshmallow import fields, validate

from points.ledger.schemas import BalancesSchema
from points.people.schemas import RoleSchema
from points.validation import Schema


class MemberStatusSchema(Schema):
    is_party_member = fields.Boolean()
    acts_as_party_member = fields.Boolean(
        metadata={"description": "a party member whose registration (双报到) is confirmed"}
    )
    registration_id = fields.Integer(allow_none=True)
    registration_status = fields.String(allow_none=True)
    community_id = fields.Integer(allow_none=True)


class MeSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    phone = fields.String()
    community_id = fields.Integer(allow_none=True)
    grid_id = fields.Integer(allow_none=True)
    work_unit_id = fields.Integer(allow_none=True)
    party = fields.Nested(MemberStatusSchema)
    roles = fields.List(fields.Nested(RoleSchema))
    balances = fields.Nested(BalancesSchema)


class MyDataSchema(Schema):
    profile = fields.List(fields.Dict())
    consents = fields.List(fields.Dict())
    roles = fields.List(fields.Dict())
    registrations = fields.List(fields.Dict())
    claims = fields.List(fields.Dict())
    checkins = fields.List(fields.Dict())
    demands = fields.List(fields.Dict())
    vouchers = fields.List(fields.Dict())
    statement = fields.List(fields.Dict())
    notices = fields.List(fields.Dict())


class CloseAccountSchema(Schema):
    password = fields.String(
        required=True, validate=validate.Length(min=1, max=128), metadata={"verbatim": True}
    )
