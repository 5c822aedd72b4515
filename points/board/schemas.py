"""Input and output schemas of the board API."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from points.board.models import (
    CATEGORIES,
    CLAIM_STATE_NAMES,
    CLAIM_STATES,
    DEMAND_STATE_NAMES,
    DEMAND_STATES,
    ELIGIBILITY,
    FILL_MODES,
    TASK_STATE_NAMES,
    TASK_STATES,
)
from points.pagination import PageArgsSchema, page_schema
from points.validation import Id, Schema, When

_category = fields.String(validate=validate.OneOf(CATEGORIES))
_when = {"description": "ISO 8601 with a zone, e.g. 2026-12-01T09:00:00+08:00"}


def _text(max_length: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


class TaskFieldsSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = _text(2000, load_default="")
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    station_id = Id(allow_none=True, load_default=None)
    place = _text(200, load_default="")
    starts_at = When(required=True, metadata=_when)
    ends_at = When(required=True, metadata=_when)
    claim_deadline = When(metadata={"description": "when claims stop (default: the start)", **_when})
    slots = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10_000))
    eligibility = fields.String(required=True, validate=validate.OneOf(ELIGIBILITY))
    reward_hongsong = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=100_000))
    reward_xingan = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=100_000))
    requires_checkin = fields.Boolean(load_default=False)
    requires_unit_confirm = fields.Boolean(load_default=False)
    allows_walk_in = fields.Boolean(load_default=False)
    fill_mode = fields.String(
        load_default="first_come",
        validate=validate.OneOf(FILL_MODES),
        metadata={
            "description": "first_come; or take applications until the deadline, then draw "
            "(draw) or favour those with fewer verified claims in 90 days (fewer_recent)"
        },
    )

    @ma.post_load
    def default_deadline(self, data, **kwargs):
        if data.get("claim_deadline") is None and "starts_at" in data:
            data["claim_deadline"] = data["starts_at"]
        return data


class TaskCreateSchema(TaskFieldsSchema):
    community_id = Id(required=True)
    post = fields.Boolean(load_default=False, metadata={"description": "put it on the board at once"})


class TaskUpdateSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=100))
    description = _text(2000)
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    station_id = Id(allow_none=True)
    place = _text(200)
    starts_at = When(metadata=_when)
    ends_at = When(metadata=_when)
    claim_deadline = When(metadata=_when)
    slots = fields.Integer(strict=True, validate=validate.Range(min=1, max=10_000))
    eligibility = fields.String(validate=validate.OneOf(ELIGIBILITY))
    reward_hongsong = fields.Integer(strict=True, validate=validate.Range(min=0, max=100_000))
    reward_xingan = fields.Integer(strict=True, validate=validate.Range(min=0, max=100_000))
    requires_checkin = fields.Boolean()
    requires_unit_confirm = fields.Boolean()
    allows_walk_in = fields.Boolean()
    fill_mode = fields.String(validate=validate.OneOf(FILL_MODES))


class TaskSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    community_name = fields.String()
    title = fields.String()
    description = fields.String()
    category = fields.String()
    station_id = fields.Integer(allow_none=True)
    place = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    claim_deadline = fields.DateTime()
    slots = fields.Integer()
    claimed = fields.Integer(metadata={"description": "live claims holding a slot"})
    open_slots = fields.Integer()
    eligibility = fields.String()
    reward_hongsong = fields.Integer()
    reward_xingan = fields.Integer()
    requires_checkin = fields.Boolean()
    requires_unit_confirm = fields.Boolean()
    allows_walk_in = fields.Boolean()
    fill_mode = fields.String(metadata={"enum": list(FILL_MODES)})
    draw_seed = fields.String(
        allow_none=True,
        metadata={
            "description": "the draw's random seed, recorded: rank_applicants(applicants, seed) repeats the draw"
        },
    )
    drawn_at = fields.DateTime(allow_none=True)
    state = fields.String(metadata={"enum": list(TASK_STATES)})
    state_name = fields.String(metadata={"description": f"Chinese label: {TASK_STATE_NAMES}"})
    demand_id = fields.Integer(allow_none=True)
    claimable = fields.Boolean(metadata={"description": "the caller may claim it now"})
    my_claim_id = fields.Integer(allow_none=True, metadata={"description": "the caller's live claim"})
    posted_at = fields.DateTime(allow_none=True)
    cancel_reason = fields.String()
    created_at = fields.DateTime()


class TaskQuerySchema(PageArgsSchema):
    community_id = Id(strict=False)
    category = _category
    eligibility = fields.String(validate=validate.OneOf(ELIGIBILITY))
    state = fields.String(validate=validate.OneOf(TASK_STATES))
    open_slots = fields.Boolean(metadata={"description": "true: posted with a free slot"})
    claimable = fields.Boolean(metadata={"description": "true: only what the caller may claim now"})
    q = _text(50, metadata={"description": "words in the title"})


class ReasonSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class OptionalReasonSchema(Schema):
    reason = _text(500, load_default="")


class ClaimCreateSchema(Schema):
    unit_id = Id(metadata={"description": "claim for this unit (its admin only)"})


class DispatchSchema(Schema):
    person_id = Id()
    unit_id = Id()

    @ma.validates_schema
    def one_assignee(self, data, **kwargs):
        if ("person_id" in data) == ("unit_id" in data):
            raise ma.ValidationError("person_id 和 unit_id 只能填写一个", "person_id")


class SubmitSchema(Schema):
    note = _text(1000, load_default="")


class VerifySchema(Schema):
    side = fields.String(
        validate=validate.OneOf(("community", "unit")),
        metadata={"description": "which side confirms; by default the one the caller may act on"},
    )


class AwardStateSchema(Schema):
    transfer_id = fields.Integer()
    amount = fields.Integer()
    kind = fields.String()
    state = fields.String(metadata={"description": "pending, posted, voided or reversed (from the ledger)"})


class ClaimSchema(Schema):
    id = fields.Integer()
    task_id = fields.Integer()
    task_title = fields.String()
    task_state = fields.String()
    community_id = fields.Integer()
    claimant_type = fields.String()
    person_id = fields.Integer()
    person_name = fields.String()
    unit_id = fields.Integer(allow_none=True)
    unit_name = fields.String(allow_none=True)
    kind = fields.String()
    amount = fields.Integer(metadata={"description": "the task's reward in this claim's kind"})
    confirming_unit_id = fields.Integer(allow_none=True)
    confirming_unit_name = fields.String(allow_none=True)
    state = fields.String(metadata={"enum": list(CLAIM_STATES)})
    state_name = fields.String(metadata={"description": f"Chinese label: {CLAIM_STATE_NAMES}"})
    is_walk_in = fields.Boolean()
    dispatched_by_id = fields.Integer(allow_none=True)
    note = fields.String()
    reason = fields.String()
    checked_in_at = fields.DateTime(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    community_verified_by_id = fields.Integer(allow_none=True)
    community_verified_at = fields.DateTime(allow_none=True)
    unit_verified_by_id = fields.Integer(allow_none=True)
    unit_verified_at = fields.DateTime(allow_none=True)
    award = fields.Nested(AwardStateSchema, allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ClaimQuerySchema(PageArgsSchema):
    state = fields.String(validate=validate.OneOf(CLAIM_STATES))


class QueueQuerySchema(PageArgsSchema):
    awaiting = fields.String(validate=validate.OneOf(("community", "unit")))
    task_id = Id(strict=False)
    community_id = Id(strict=False)


class DemandCreateSchema(Schema):
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    details = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    place = _text(200, load_default="")
    preferred_time = _text(100, load_default="", metadata={"description": "e.g. 周六上午"})
    requester_id = Id(metadata={"description": "a resident asked for (grid workers, staff)"})


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
    state = fields.String(metadata={"enum": list(DEMAND_STATES)})
    state_name = fields.String(metadata={"description": f"Chinese label: {DEMAND_STATE_NAMES}"})
    decline_reason = fields.String()
    decided_at = fields.DateTime(allow_none=True)
    task_id = fields.Integer(allow_none=True)
    task_state = fields.String(allow_none=True)
    project_id = fields.Integer(allow_none=True)
    rating = fields.Integer(allow_none=True)
    comment = fields.String()
    rated_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class DemandQuerySchema(PageArgsSchema):
    mine = fields.Boolean(load_default=False, metadata={"description": "only demands I asked"})
    state = fields.String(validate=validate.OneOf(DEMAND_STATES))
    category = _category
    community_id = Id(strict=False)


class DemandAcceptSchema(TaskFieldsSchema):
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    dispatch_person_id = Id()
    dispatch_unit_id = Id()

    @ma.validates_schema
    def one_assignee(self, data, **kwargs):
        if "dispatch_person_id" in data and "dispatch_unit_id" in data:
            raise ma.ValidationError(
                "dispatch_person_id 和 dispatch_unit_id 只能填写一个", "dispatch_person_id"
            )


class RateSchema(Schema):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = _text(500, load_default="")


class ResourceCreateSchema(Schema):
    community_id = Id(required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    description = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    capacity = fields.Integer(strict=True, load_default=1, validate=validate.Range(min=1, max=10_000))
    availability = _text(200, load_default="", metadata={"description": "e.g. 每周六上午"})
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


class ResourceQuerySchema(PageArgsSchema):
    community_id = Id(strict=False)
    category = _category
    mine = fields.Boolean(load_default=False)
    unit_id = Id(strict=False)
    active = fields.Boolean(load_default=True)


class ProjectCreateSchema(Schema):
    demand_id = fields.Integer(required=True)
    resource_ids = fields.List(
        fields.Integer(strict=True), required=True, validate=validate.Length(min=1, max=50)
    )
    title = _text(100, load_default="")


class ProjectSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    demand_id = fields.Integer()
    title = fields.String()
    confirmed_by_id = fields.Integer()
    resources = fields.List(fields.Nested(ResourceSchema))
    task_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class ProjectQuerySchema(PageArgsSchema):
    community_id = Id(strict=False)


TaskPageSchema = page_schema(TaskSchema)
ClaimPageSchema = page_schema(ClaimSchema)
DemandPageSchema = page_schema(DemandSchema)
ResourcePageSchema = page_schema(ResourceSchema)
ProjectPageSchema = page_schema(ProjectSchema)
