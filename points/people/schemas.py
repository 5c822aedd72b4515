"""Input and output schemas for people, roles and registrations."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from points.people.models import REGISTRATION_KINDS, REGISTRATION_STATES, ROLES
from points.validation import Schema

PHONE = validate.Regexp(r"^1[3-9]\d{9}$", error="请输入11位手机号")


def _not_blank(value: str) -> None:
    # Names are stored stripped: spaces alone would leave an empty name.
    if not value.strip():
        raise ma.ValidationError("不能为空")


_name = [validate.Length(min=1, max=50), _not_blank]


class RoleSchema(Schema):
    id = fields.Integer()
    role = fields.String()
    node_id = fields.Integer(allow_none=True)
    node_name = fields.String(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    unit_name = fields.String(allow_none=True)


class PersonSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    phone = fields.String(metadata={"description": "masked unless the reader manages this person"})
    community_id = fields.Integer(allow_none=True)
    grid_id = fields.Integer(allow_none=True)
    is_party_member = fields.Boolean()
    work_unit_id = fields.Integer(allow_none=True)
    is_suspended = fields.Boolean()
    is_locked = fields.Boolean()


class PersonCreatedSchema(PersonSchema):
    initial_password = fields.String(metadata={"description": "shown once"})


class PersonCreateSchema(Schema):
    phone = fields.String(required=True, validate=PHONE)
    name = fields.String(required=True, validate=_name)
    password = fields.String(validate=validate.Length(min=8, max=128))
    community_id = fields.Integer(required=True)
    grid_id = fields.Integer(allow_none=True, load_default=None)
    is_party_member = fields.Boolean(load_default=False)
    work_unit_id = fields.Integer(allow_none=True, load_default=None)


class PersonUpdateSchema(Schema):
    name = fields.String(validate=_name)
    community_id = fields.Integer()
    grid_id = fields.Integer(allow_none=True)
    is_party_member = fields.Boolean()
    work_unit_id = fields.Integer(allow_none=True)
    is_suspended = fields.Boolean()


class PeopleQuerySchema(Schema):
    community_id = fields.Integer()
    q = fields.String(validate=validate.Length(max=50))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PasswordResetSchema(Schema):
    password = fields.String()


class PasswordChangeSchema(Schema):
    old_password = fields.String(required=True, validate=validate.Length(max=128))
    new_password = fields.String(required=True, validate=validate.Length(min=8, max=128))


class GrantCreateSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    node_id = fields.Integer(allow_none=True, load_default=None)
    unit_id = fields.Integer(allow_none=True, load_default=None)


class MemberStatusSchema(Schema):
    is_party_member = fields.Boolean()
    acts_as_party_member = fields.Boolean()
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
    balances = fields.Dict(keys=fields.String(), values=fields.Raw())


class RegistrationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    person_id = fields.Integer(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    community_id = fields.Integer()
    status = fields.String()
    note = fields.String()
    decided_by_id = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String()
    created_at = fields.DateTime()


class RegistrationCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(REGISTRATION_KINDS))
    community_id = fields.Integer(required=True)
    unit_id = fields.Integer(allow_none=True, load_default=None)
    note = fields.String(load_default="", validate=validate.Length(max=500))


class RegistrationDecisionSchema(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=500))


class RegistrationQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(REGISTRATION_STATES))
    kind = fields.String(validate=validate.OneOf(REGISTRATION_KINDS))
    community_id = fields.Integer()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor_id = fields.Integer(allow_none=True)
    action = fields.String()
    target_type = fields.String()
    target_id = fields.Integer(allow_none=True)
    node_id = fields.Integer(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    detail = fields.Dict()


class AuditQuerySchema(Schema):
    action = fields.String(validate=validate.Length(max=64))
    node_id = fields.Integer()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
