"""Input and output schemas for the org tree, stations and units."""

from __future__ import annotations

from marshmallow import fields, validate

from points.org.models import OrgLevel, StationKind
from points.schema_fields import not_blank
from points.validation import Schema

_name = [validate.Length(min=1, max=100), not_blank]


class NodeSchema(Schema):
    id = fields.Integer()
    parent_id = fields.Integer(allow_none=True)
    level = fields.String()
    name = fields.String()


class TreeNodeSchema(Schema):
    id = fields.Integer()
    level = fields.String()
    name = fields.String()
    children = fields.List(fields.Nested(lambda: TreeNodeSchema()))


class NodeCreateSchema(Schema):
    parent_id = fields.Integer(required=True, allow_none=True)
    level = fields.String(required=True, validate=validate.OneOf(OrgLevel.values()))
    name = fields.String(required=True, validate=_name)


class StationSchema(Schema):
    id = fields.Integer()
    node_id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    address = fields.String()
    is_active = fields.Boolean()


class StationCreateSchema(Schema):
    node_id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(StationKind.values()))
    name = fields.String(required=True, validate=_name)
    address = fields.String(load_default="", validate=validate.Length(max=200))


class StationUpdateSchema(Schema):
    node_id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(StationKind.values()))
    name = fields.String(validate=_name)
    address = fields.String(validate=validate.Length(max=200))
    is_active = fields.Boolean()


class StationQuerySchema(Schema):
    node_id = fields.Integer()


class UnitSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    party_org_name = fields.String()
    address = fields.String()


class UnitCreateSchema(Schema):
    name = fields.String(required=True, validate=_name)
    party_org_name = fields.String(required=True, validate=_name)
    address = fields.String(load_default="", validate=validate.Length(max=200))
    contact_phone = fields.String(load_default="", validate=validate.Length(max=20))
