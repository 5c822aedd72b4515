"""Input and output schemas of the demands API, which the demands' pages load their forms with
too: every limit on what may be typed is here, once."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from points.board.schemas import CATEGORIES, PHONE_TYPED, SLOTS, TaskFieldsSchema
from points.demands.models import HIGHEST_RATING, LOWEST_RATING, DemandState
from points.demands.operations import DEMAND_ACTIONS
from points.labels import N_
from points.pagination import CursorArgsSchema, keyset_schema
from points.schema_fields import Actions, Text, state_fields
from points.validation import Id, Schema


class DemandCreateSchema(Schema):
    category = fields.String(required=True, validate=CATEGORIES)
    details = fields.String(
        required=True,
        validate=validate.Length(min=1, max=1000),
        error_messages={"required": N_("请填写需求内容")},
    )
    place = Text(200, load_default="")
    preferred_time = Text(100, load_default="", metadata={"description": "e.g. 周六上午"})
    requester_id = Id(metadata={"description": "a resident asked for (grid workers, staff)"})
    requester_phone = fields.String(
        validate=PHONE_TYPED,
        metadata={"description": "or that resident's phone number (grid workers, staff)"},
    )

    @ma.validates_schema
    def one_requester(self, data, **kwargs):
        if "requester_id" in data and "requester_phone" in data:
            raise ma.ValidationError("requester_id 和 requester_phone 只能填写一个", "requester_id")


class DemandSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    grid_id = fields.Integer(allow_none=True)
    requester_id = fields.Integer()
    requester_name = fields.String()
    created_by_id = fields.Integer()
    category = fields.String()
    details = fields.String()
    place = fields.String()
    preferred_time = fields.String()
    state, state_name = state_fields(DemandState)
    decline_reason = fields.String()
    decided_at = fields.DateTime(allow_none=True)
    task_id = fields.Integer(allow_none=True)
    task_state = fields.String(allow_none=True)
    project_id = fields.Integer(allow_none=True)
    rating = fields.Integer(allow_none=True)
    comment = fields.String()
    rated_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    photo_url = fields.String(
        allow_none=True,
        metadata={"description": "the demand's photo (`GET`, the same bearer token), if it has one"},
    )
    allowed_actions = Actions("demand", DEMAND_ACTIONS)


class DemandPhotoSchema(Schema):
    photo = Upload(
        required=True,
        metadata={"description": "JPEG, PNG, WebP, GIF or BMP; kept upright, shrunk, as JPEG"},
    )


class DemandQuerySchema(CursorArgsSchema):
    mine = fields.Boolean(load_default=False, metadata={"description": "only demands I asked"})
    state = fields.String(validate=validate.OneOf(DemandState.values()))
    category = fields.String(validate=CATEGORIES)
    community_id = Id(strict=False)


class DemandAcceptSchema(TaskFieldsSchema):
    category = fields.String(validate=CATEGORIES)
    dispatch_person_id = Id()
    dispatch_unit_id = Id()
    dispatch_phone = fields.String(
        validate=PHONE_TYPED, metadata={"description": "or the person's phone number"}
    )

    @ma.validates_schema
    def one_assignee(self, data, **kwargs):
        named = [
            name for name in ("dispatch_person_id", "dispatch_unit_id", "dispatch_phone") if name in data
        ]
        if len(named) > 1:
            raise ma.ValidationError(
                "dispatch_person_id 和 dispatch_unit_id 只能填写一个", "dispatch_person_id"
            )


class RateSchema(Schema):
    rating = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=LOWEST_RATING, max=HIGHEST_RATING)
    )
    comment = Text(500, load_default="")


class ResourceCreateSchema(Schema):
    community_id = Id(required=True)
    category = fields.String(required=True, validate=CATEGORIES)
    description = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    capacity = fields.Integer(strict=True, load_default=1, validate=SLOTS)
    availability = Text(200, load_default="", metadata={"description": "e.g. 每周六上午"})
    unit_id = Id(metadata={"description": "declare for this unit (its admin only)"})


class ResourceSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    owner_type = fields.String()
    person_id = fields.Integer()
    unit_id = fields.Integer(allow_none=True)
    offered_by = fields.String()
    category = fields.String()
    description = fields.String()
    capacity = fields.Integer()
    availability = fields.String()
    is_active = fields.Boolean()
    created_at = fields.DateTime()


class ResourceQuerySchema(CursorArgsSchema):
    community_id = Id(strict=False)
    category = fields.String(validate=CATEGORIES)
    mine = fields.Boolean(load_default=False)
    unit_id = Id(strict=False)
    active = fields.Boolean(load_default=True)


class ProjectCreateSchema(Schema):
    demand_id = fields.Integer(required=True)
    resource_ids = fields.List(
        fields.Integer(strict=True), required=True, validate=validate.Length(min=1, max=50)
    )
    title = Text(100, load_default="")


class ProjectSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    demand_id = fields.Integer()
    title = fields.String()
    confirmed_by_id = fields.Integer()
    resources = fields.List(fields.Nested(ResourceSchema))
    task_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class ProjectQuerySchema(CursorArgsSchema):
    community_id = Id(strict=False)


DemandPageSchema = keyset_schema(DemandSchema)
ResourcePageSchema = keyset_schema(ResourceSchema)
ProjectPageSchema = keyset_schema(ProjectSchema)
