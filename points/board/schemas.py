"""Input and output schemas of the board API, which the board's pages load their forms with too.

Every limit on what may be typed is here, once: pages read them for their fields (`field_limits`).
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from points.board.models import Category, ClaimState, Eligibility, FillMode, TaskState
from points.board.operations.rules import CLAIM_ACTIONS, TASK_ACTIONS
from points.pagination import CursorArgsSchema, keyset_schema
from points.schema_fields import Actions, Text, state_fields
from points.validation import Id, Schema, When

CATEGORIES = validate.OneOf(Category.values())
ELIGIBILITIES = validate.OneOf(Eligibility.values())
FILL_MODES = validate.OneOf(FillMode.values())
TITLE = validate.Length(min=1, max=100)
SLOTS = validate.Range(min=1, max=10_000)
REWARD = validate.Range(min=0, max=100_000)
# A phone typed to find someone (not to register one): its format is not checked here.
PHONE_TYPED = validate.Length(max=20)

_category = fields.String(validate=CATEGORIES)
_when = {"description": "ISO 8601 with a zone, e.g. 2026-12-01T09:00:00+08:00"}


class TaskFieldsSchema(Schema):
    title = fields.String(required=True, validate=TITLE)
    description = Text(2000, load_default="")
    category = fields.String(required=True, validate=CATEGORIES)
    station_id = Id(allow_none=True, load_default=None)
    place = Text(200, load_default="")
    starts_at = When(required=True, metadata=_when)
    ends_at = When(required=True, metadata=_when)
    claim_deadline = When(metadata={"description": "when claims stop (default: the start)", **_when})
    slots = fields.Integer(required=True, strict=True, validate=SLOTS)
    eligibility = fields.String(required=True, validate=ELIGIBILITIES)
    reward_hongsong = fields.Integer(strict=True, load_default=0, validate=REWARD)
    reward_xingan = fields.Integer(strict=True, load_default=0, validate=REWARD)
    requires_checkin = fields.Boolean(load_default=False)
    requires_unit_confirm = fields.Boolean(load_default=False)
    allows_walk_in = fields.Boolean(load_default=False)
    fill_mode = fields.String(
        load_default="first_come",
        validate=FILL_MODES,
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
    title = fields.String(validate=TITLE)
    description = Text(2000)
    category = fields.String(validate=CATEGORIES)
    station_id = Id(allow_none=True)
    place = Text(200)
    starts_at = When(metadata=_when)
    ends_at = When(metadata=_when)
    claim_deadline = When(metadata=_when)
    slots = fields.Integer(strict=True, validate=SLOTS)
    eligibility = fields.String(validate=ELIGIBILITIES)
    reward_hongsong = fields.Integer(strict=True, validate=REWARD)
    reward_xingan = fields.Integer(strict=True, validate=REWARD)
    requires_checkin = fields.Boolean()
    requires_unit_confirm = fields.Boolean()
    allows_walk_in = fields.Boolean()
    fill_mode = fields.String(validate=FILL_MODES)


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
    fill_mode = fields.String(metadata={"enum": list(FillMode.values())})
    draw_seed = fields.String(
        allow_none=True,
        metadata={
            "description": "the draw's random seed, recorded: rank_applicants(applicants, seed) repeats the draw"
        },
    )
    drawn_at = fields.DateTime(allow_none=True)
    state, state_name = state_fields(TaskState)
    demand_id = fields.Integer(allow_none=True)
    claimable = fields.Boolean(metadata={"description": "the caller may claim it now"})
    my_claim_id = fields.Integer(allow_none=True, metadata={"description": "the caller's live claim"})
    card_state = fields.String(
        metadata={
            "description": "the caller's standing: claimable, offered, applied, claimed, full, party_only, units_only, closed, done, cancelled, draft or not_for_you"
        }
    )
    posted_at = fields.DateTime(allow_none=True)
    cancel_reason = fields.String()
    created_at = fields.DateTime()
    allowed_actions = Actions("task", TASK_ACTIONS)


class TaskQuerySchema(CursorArgsSchema):
    community_id = Id(strict=False)
    category = _category
    eligibility = fields.String(validate=ELIGIBILITIES)
    state = fields.String(validate=validate.OneOf(TaskState.values()))
    open_slots = fields.Boolean(metadata={"description": "true: posted with a free slot"})
    claimable = fields.Boolean(metadata={"description": "true: only what the caller may claim now"})
    q = Text(50, metadata={"description": "words in the title"})


class ReasonSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class OptionalReasonSchema(Schema):
    reason = Text(500, load_default="")


class ClaimCreateSchema(Schema):
    unit_id = Id(metadata={"description": "claim for this unit (its admin only)"})


class DispatchSchema(Schema):
    person_id = Id()
    unit_id = Id()
    phone = fields.String(validate=PHONE_TYPED, metadata={"description": "or the person's phone number"})

    @ma.validates_schema
    def one_assignee(self, data, **kwargs):
        named = [name for name in ("person_id", "unit_id", "phone") if name in data]
        if len(named) != 1:
            message = (
                "person_id、unit_id 和 phone 只能填写一个"
                if "phone" in data
                else "person_id 和 unit_id 只能填写一个"
            )
            raise ma.ValidationError(message, "person_id")


class SubmitSchema(Schema):
    note = Text(1000, load_default="")


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
    state, state_name = state_fields(ClaimState)
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
    allowed_actions = Actions("claim", CLAIM_ACTIONS)


class ClaimQuerySchema(CursorArgsSchema):
    state = fields.String(validate=validate.OneOf(ClaimState.values()))


class MyClaimsQuerySchema(CursorArgsSchema):
    state = fields.String(validate=validate.OneOf(ClaimState.values()))


class QueueQuerySchema(CursorArgsSchema):
    awaiting = fields.String(validate=validate.OneOf(("community", "unit")))
    task_id = Id(strict=False)
    community_id = Id(strict=False)


TaskPageSchema = keyset_schema(TaskSchema)
ClaimKeysetPageSchema = keyset_schema(ClaimSchema)
