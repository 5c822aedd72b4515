"""Input and output schemas of the check-in API."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from points.checkin.models import ActivityState, CloseRule, ScanAction
from points.checkin.tokens import MAX_TOKEN_CHARS
from points.checkin.transitions import ACTIVITY_ACTIONS, CHECKIN_ACTIONS
from points.labels import N_
from points.ledger.models import Kind, TransferState
from points.pagination import CursorArgsSchema, keyset_schema
from points.schema_fields import not_blank
from points.validation import Schema, When

# The limits of an activity's fields, stated once: the API and the station page load through
# `ActivityCreateSchema`, and the page's inputs take their limits from it (`field_limits`).
TITLE_MAX = 100
MAX_RATE = 1000
MAX_CAP = 10_000
CARD_MAX = 300
ACTIONS = ScanAction.values()
_TIME_ERRORS = {"invalid": N_("时间格式无效")}


class ActivityCreateSchema(Schema):
    station_id = fields.Integer(required=True, strict=True)
    title = fields.String(required=True, validate=[validate.Length(min=1, max=TITLE_MAX), not_blank])
    starts_at = When(
        required=True, error_messages=_TIME_ERRORS, metadata={"description": "ISO 8601 with zone"}
    )
    ends_at = When(required=True, error_messages=_TIME_ERRORS, metadata={"description": "ISO 8601 with zone"})
    task_id = fields.Integer(strict=True, load_default=None, allow_none=True)
    hourly_rate = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, max=MAX_RATE),
        metadata={"description": "points per hour of presence (duty-style service); none for a task"},
    )
    daily_cap = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_CAP),
        metadata={"description": "most points one person earns here in one local day"},
    )
    community_id = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        metadata={"description": "the paying community, for a station of a street"},
    )

    @ma.validates_schema
    def ends_after_start(self, data, **kwargs):
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            raise ma.ValidationError("结束时间应晚于开始时间", "ends_at")


class ActivitySchema(Schema):
    id = fields.Integer()
    station_id = fields.Integer()
    station_name = fields.String()
    community_id = fields.Integer()
    title = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    task_id = fields.Integer(allow_none=True)
    hourly_rate = fields.Integer(allow_none=True)
    daily_cap = fields.Integer(allow_none=True)
    rate_confirmed_by_id = fields.Integer(
        allow_none=True,
        metadata={
            "description": "who confirmed the hourly rate; until then every stay's award waits for approval"
        },
    )
    rate_confirmed_at = fields.DateTime(allow_none=True)
    auto_posted_points = fields.Integer(metadata={"description": "points posted without approval so far"})
    state = fields.String(
        validate=validate.OneOf(ActivityState.values()), metadata={"description": "active or cancelled"}
    )
    phase = fields.String(
        validate=validate.OneOf(("upcoming", "running", "ended", "cancelled")),
        metadata={"description": "by its hours: upcoming, running or ended; or cancelled"},
    )
    is_running = fields.Boolean(metadata={"description": "takes scans now"})
    allowed_actions = fields.List(
        fields.String(validate=validate.OneOf(ACTIVITY_ACTIONS)),
        metadata={
            "description": "what I may do with it now (confirm_rate, end, cancel), by the same checks "
            "the operations run"
        },
    )
    present = fields.Integer(metadata={"description": "people checked in and not yet out"})
    people = fields.Integer(metadata={"description": "people who checked in at all"})


ActivityPageSchema = keyset_schema(ActivitySchema)


class ActivityQuerySchema(CursorArgsSchema):
    station_id = fields.Integer()
    community_id = fields.Integer()
    running = fields.Boolean(metadata={"description": "only activities running now"})
    start = fields.AwareDateTime(
        data_key="from", metadata={"description": "ending after, ISO 8601 with zone"}
    )
    end = fields.AwareDateTime(data_key="to", metadata={"description": "starting before, ISO 8601 with zone"})
    include_cancelled = fields.Boolean(load_default=False)


class StationCodeSchema(Schema):
    token = fields.String()
    url = fields.String(metadata={"description": "what the QR code holds"})
    window = fields.Integer(allow_none=True)
    rotates_at = fields.DateTime(
        allow_none=True, metadata={"description": "when the screen shows the next code"}
    )
    valid_until = fields.DateTime(
        allow_none=True, metadata={"description": "when this code stops being accepted"}
    )
    window_seconds = fields.Integer()
    present = fields.Integer()
    people = fields.Integer()


class ScanSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TOKEN_CHARS))
    action = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(ACTIONS, error="应为 in（签到）或 out（签退）"),
        metadata={"description": "pin what the scan should do; by default it checks in, or out when in"},
    )


class StaffCheckInSchema(Schema):
    person_id = fields.Integer(strict=True)
    card = fields.String(
        validate=validate.Length(min=1, max=CARD_MAX), metadata={"description": "a member card's code or URL"}
    )
    action = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(ACTIONS, error="应为 in（签到）或 out（签退）"),
    )

    @ma.validates_schema
    def one_person(self, data, **kwargs):
        if ("person_id" in data) == ("card" in data):
            raise ma.ValidationError(N_("请扫描会员卡或选择人员"), "person_id")


class CheckInAwardSchema(Schema):
    transfer_id = fields.Integer()
    amount = fields.Integer()
    kind = fields.String(validate=validate.OneOf(Kind.values()))
    state = fields.String(
        validate=validate.OneOf(TransferState.values()),
        metadata={"description": "pending, posted, voided or reversed"},
    )


class CheckInSchema(Schema):
    id = fields.Integer()
    activity_id = fields.Integer()
    activity_title = fields.String()
    station_id = fields.Integer()
    station_name = fields.String()
    person_id = fields.Integer()
    person_name = fields.String()
    checked_in_at = fields.DateTime()
    checked_out_at = fields.DateTime(allow_none=True)
    unattended = fields.Boolean()
    by_staff_id = fields.Integer(allow_none=True)
    out_by_staff_id = fields.Integer(allow_none=True)
    claim_id = fields.Integer(allow_none=True)
    closed_by_job = fields.Boolean()
    close_rule = fields.String(allow_none=True, validate=validate.OneOf(CloseRule.values()))
    minutes = fields.Integer(allow_none=True)
    kind = fields.String(allow_none=True, validate=validate.OneOf(Kind.values()))
    points = fields.Integer(allow_none=True)
    is_capped = fields.Boolean()
    award = fields.Nested(CheckInAwardSchema, allow_none=True)
    award_error = fields.String(
        metadata={"description": "why no award could be asked for, in Chinese; empty when none"}
    )
    award_error_code = fields.String(
        allow_none=True,
        metadata={"description": "the stable code of that refusal (e.g. budget_exceeded); null when none"},
    )
    note = fields.String(metadata={"description": "what happened, in words"})
    allowed_actions = fields.List(
        fields.String(validate=validate.OneOf(CHECKIN_ACTIONS)),
        metadata={
            "description": "what I may do with it now: check_out (my own, by scanning the station's "
            "code again) or check_out_for (staff at the desk, for someone else)"
        },
    )


CheckInPageSchema = keyset_schema(CheckInSchema)


class ScanResultSchema(Schema):
    outcome = fields.String(metadata={"description": "checked_in, checked_out, already_in or already_out"})
    message = fields.String()
    checkin = fields.Nested(CheckInSchema)
    activity = fields.Nested(ActivitySchema)


class StationKeySchema(Schema):
    station_id = fields.Integer()
    version = fields.Integer()
    rotated_at = fields.DateTime()


class MemberCardSchema(Schema):
    person_id = fields.Integer()
    name = fields.String()
    serial = fields.Integer()
    issued_at = fields.DateTime()
    token = fields.String()
    url = fields.String(metadata={"description": "what the card's QR code holds"})


class HealthSchema(Schema):
    status = fields.String()
