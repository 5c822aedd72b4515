"""Input and output schemas of anomaly flags, for the API and (input) the pages' forms alike."""

from __future__ import annotations

from marshmallow import fields, validate

from points.labels import N_
from points.pagination import CursorArgsSchema, keyset_schema
from points.supervision.models import Detector, FlagState
from points.supervision.transitions import ACTIONS
from points.validation import Id, Schema

NOTE_MAX = 1000


class FlagQuerySchema(CursorArgsSchema):
    detector = fields.String(validate=validate.OneOf(Detector.values()))
    community_id = Id(strict=False)
    state = fields.String(validate=validate.OneOf(FlagState.values()))


class DecisionSchema(Schema):
    note = fields.String(
        required=True,
        validate=[validate.Length(min=1), validate.Length(max=NOTE_MAX)],
        error_messages={"required": N_("请写明说明或上报的理由")},
    )


class EvidenceSchema(Schema):
    type = fields.String(metadata={"description": "transfer, claim, checkin or account_change"})
    id = fields.Integer()
    person_id = fields.Integer(allow_none=True)
    href = fields.String(allow_none=True, metadata={"description": "the row in this API, when it has one"})


class FlagSchema(Schema):
    id = fields.Integer()
    detector = fields.String()
    detector_name = fields.String()
    summary = fields.String(metadata={"description": "what the detector found, in Chinese"})
    community_id = fields.Integer()
    community_name = fields.String()
    subject_key = fields.String()
    subject_person_id = fields.Integer(allow_none=True)
    related_person_id = fields.Integer(allow_none=True)
    period = fields.String()
    window_start = fields.DateTime()
    window_end = fields.DateTime()
    score = fields.Float()
    facts = fields.Dict()
    evidence = fields.List(fields.Nested(EvidenceSchema))
    state = fields.String()
    state_name = fields.String()
    decision_note = fields.String()
    decided_by_id = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    seen_at = fields.DateTime()
    allowed_actions = fields.List(fields.String(validate=validate.OneOf(ACTIONS)))


FlagPageSchema = keyset_schema(FlagSchema)
