"""Input and output schemas for people, roles and registrations."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from points.labels import N_
from points.pagination import CursorArgsSchema
from points.people.models import REGISTRATION_TRANSITIONS, RegistrationKind, RegistrationState, Role
from points.people.passwords import MAX_LENGTH, MIN_LENGTH
from points.schema_fields import not_blank
from points.validation import Schema

PHONE = validate.Regexp(r"^1[3-9]\d{9}$", error="请输入11位手机号")


_name = [validate.Length(min=1, max=50), not_blank]


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
    password = fields.String(
        validate=validate.Length(min=MIN_LENGTH, max=MAX_LENGTH), metadata={"verbatim": True}
    )
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


class PeopleFilterSchema(Schema):
    """Finding people: the API's query and the people page's search form."""

    community_id = fields.Integer()
    q = fields.String(validate=validate.Length(max=50))


class PeopleQuerySchema(PeopleFilterSchema, CursorArgsSchema):
    pass


class PasswordChangeSchema(Schema):
    old_password = fields.String(
        required=True, validate=validate.Length(max=MAX_LENGTH), metadata={"verbatim": True}
    )
    new_password = fields.String(
        required=True, validate=validate.Length(min=MIN_LENGTH, max=MAX_LENGTH), metadata={"verbatim": True}
    )


class PasswordChangeFormSchema(PasswordChangeSchema):
    """The page's form: the API's fields, and the new password typed a second time."""

    new_password_again = fields.String(
        required=True, validate=validate.Length(max=MAX_LENGTH), metadata={"verbatim": True}
    )

    @ma.validates_schema
    def _typed_twice(self, data, **_kwargs):
        if data.get("new_password") != data.get("new_password_again"):
            raise ma.ValidationError(N_("两次输入的新密码不一致"), "new_password_again")


class GrantCreateSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(Role.values()))
    node_id = fields.Integer(allow_none=True, load_default=None)
    unit_id = fields.Integer(allow_none=True, load_default=None)


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
    allowed_actions = fields.List(
        fields.String(validate=validate.OneOf(tuple(REGISTRATION_TRANSITIONS))),
        metadata={"description": "what the reader may do with it now: confirm, decline, withdraw"},
    )


class RegistrationCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(RegistrationKind.values()))
    community_id = fields.Integer(required=True)
    unit_id = fields.Integer(allow_none=True, load_default=None)
    note = fields.String(load_default="", validate=validate.Length(max=500))


class RegistrationDecisionSchema(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=500))


class RegistrationFilterSchema(Schema):
    """Which registrations: the API's query and the registrations page's tabs."""

    status = fields.String(validate=validate.OneOf(RegistrationState.values()))
    kind = fields.String(validate=validate.OneOf(RegistrationKind.values()))
    community_id = fields.Integer()


class RegistrationQuerySchema(RegistrationFilterSchema, CursorArgsSchema):
    pass


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


class AuditFilterSchema(Schema):
    """Which audit entries: the API's query and the audit page's filter."""

    action = fields.String(validate=validate.Length(max=64))
    node_id = fields.Integer()


class AuditQuerySchema(AuditFilterSchema, CursorArgsSchema):
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
