"""Input and output schemas of the ledger API."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from points.labels import N_
from points.ledger.checks import TEXT_MAX
from points.ledger.models import Kind, Reason, Status, TransferState
from points.ledger.transitions import ACTIONS
from points.pagination import keyset_fields
from points.validation import Schema

KINDS, REASONS, STATUSES = Kind.values(), Reason.values(), Status.values()
# A day from a date picker reads as midnight in the community's time zone (see `load_form`).
_MOMENT_ERRORS = {"invalid": N_("日期格式应为 年-月-日（例如 2026-01-31），或带时区的 ISO 8601 时间")}


def _reason(required: str) -> fields.String:
    return fields.String(
        required=True,
        validate=[validate.Length(min=1), validate.Length(max=TEXT_MAX)],
        error_messages={"required": required},
    )


class BalanceSchema(Schema):
    posted = fields.Integer()
    pending_in = fields.Integer()
    pending_out = fields.Integer()
    available = fields.Integer()


class BalancesSchema(Schema):
    hongsong = fields.Nested(BalanceSchema)
    xingan = fields.Nested(BalanceSchema)


class PartySchema(Schema):
    owner_type = fields.String()
    owner_id = fields.Integer()


class TransferSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    seq = fields.Integer()
    kind = fields.String()
    amount = fields.Integer()
    status = fields.String()
    state = fields.String(
        validate=validate.OneOf(TransferState.values()),
        metadata={
            "description": "where the movement stands: a pending award is pending, posted or voided; "
            "a posted movement is posted or reversed"
        },
    )
    reason = fields.String()
    proof = fields.String(allow_none=True)
    ref_type = fields.String(allow_none=True)
    ref_id = fields.Integer(allow_none=True)
    pending_id = fields.Integer(allow_none=True)
    reverses_id = fields.Integer(allow_none=True)
    memo = fields.String()
    evidence = fields.String()
    requested_by_id = fields.Integer(allow_none=True)
    verified_by_id = fields.Integer(allow_none=True)
    approved_by_id = fields.Integer(allow_none=True)
    debit = fields.Nested(PartySchema)
    credit = fields.Nested(PartySchema)
    created_at = fields.DateTime()
    prev_hash = fields.String()
    hash = fields.String()


class StatementRowSchema(TransferSchema):
    change = fields.Integer(metadata={"description": "effect on the posted balance"})
    balance = fields.Integer(metadata={"description": "posted balance after this row"})
    direction = fields.String()


StatementSchema = Schema.from_dict(keyset_fields(StatementRowSchema), name="StatementSchema")
TransferPageSchema = Schema.from_dict(keyset_fields(TransferSchema), name="TransferPageSchema")


class QueueItemSchema(TransferSchema):
    allowed_actions = fields.List(
        fields.String(validate=validate.OneOf(ACTIONS)),
        metadata={
            "description": "what I may do with it now, by the same checks the operations run: "
            "approve and reject (not when I asked for, verified, receive or am tied to it)"
        },
    )


QueuePageSchema = Schema.from_dict(keyset_fields(QueueItemSchema), name="QueuePageSchema")


class PageArgs(Schema):
    cursor = fields.String(
        validate=validate.Length(max=1000),
        metadata={"description": "opaque: `next_cursor` or `prev_cursor` of the previous page"},
    )
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class StatementFilterSchema(Schema):
    """Which statement: its kind and period (the API's query, and the points page's filter)."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    start = fields.AwareDateTime(
        data_key="from",
        error_messages=_MOMENT_ERRORS,
        metadata={"description": "inclusive, ISO 8601 with zone"},
    )
    end = fields.AwareDateTime(
        data_key="to",
        error_messages=_MOMENT_ERRORS,
        metadata={"description": "exclusive, ISO 8601 with zone"},
    )


class StatementQuerySchema(StatementFilterSchema, PageArgs):
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class AwardCreateSchema(Schema):
    community_id = fields.Integer(required=True)
    person_id = fields.Integer()
    unit_id = fields.Integer()
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100000))
    memo = fields.String(required=True, validate=validate.Length(min=1, max=TEXT_MAX))
    evidence = fields.String(load_default="", validate=validate.Length(max=TEXT_MAX))

    @ma.validates_schema
    def one_recipient(self, data, **kwargs):
        if ("person_id" in data) == ("unit_id" in data):
            raise ma.ValidationError("person_id 和 unit_id 只能填写一个", "person_id")


class RejectSchema(Schema):
    reason = _reason(N_("驳回时请写明原因"))


class ReverseSchema(Schema):
    reason = _reason(N_("冲正时请写明原因"))


class BulkApproveSchema(Schema):
    ids = fields.List(fields.Integer(strict=True), required=True, validate=validate.Length(min=1, max=1000))


class QueueQuerySchema(PageArgs):
    community_id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(KINDS))
    reason = fields.String(validate=validate.OneOf(REASONS))
    older_than_hours = fields.Integer(validate=validate.Range(min=0, max=24 * 366))


class TransferQuerySchema(PageArgs):
    community_id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(KINDS))
    reason = fields.String(validate=validate.OneOf(REASONS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    start = fields.AwareDateTime(data_key="from", error_messages=_MOMENT_ERRORS)
    end = fields.AwareDateTime(data_key="to", error_messages=_MOMENT_ERRORS)


class BudgetSchema(Schema):
    community_id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    issued = fields.Integer(dump_only=True)


class VerificationSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    ok = fields.Boolean()
    transfers = fields.Integer()
    accounts = fields.Integer()
    communities = fields.Integer()
    heads = fields.Dict()
    problem = fields.String()
    mode = fields.String(
        metadata={"description": "full, or incremental (rows appended since the last good run)"}
    )
    seconds = fields.Float()


class DiscretionarySchema(Schema):
    community_id = fields.Integer()
    approved_by_id = fields.Integer(allow_none=True)
    kind = fields.String()
    total = fields.Integer()
    discretionary = fields.Integer()
    share = fields.Float()
