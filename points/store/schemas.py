"""Input and output schemas of the store, for the API and (input) for the pages' forms alike."""

from __future__ import annotations

from marshmallow import fields, validate

from points.pagination import CursorArgsSchema, keyset_schema
from points.schema_fields import Text
from points.store.models import ItemKind, LimitPeriod, StockMoveKind, VoucherState
from points.validation import Id, Schema, When

NAME_MAX = 100
DESCRIPTION_MAX = 1000
PRICE_MAX = 100_000
STOCK_MAX = 100_000
LIMIT_MAX = 1000
VALUE_MAX_CENTS = 100_000_000
NOTE_MAX = 200
REASON_MAX = 200


class ItemFieldsSchema(Schema):
    """What staff set on an item (every field optional: an update changes what it names)."""

    name = fields.String(validate=validate.Length(min=1, max=NAME_MAX))
    description = Text(DESCRIPTION_MAX)
    kind = fields.String(validate=validate.OneOf(ItemKind.values()))
    price = fields.Integer(validate=validate.Range(min=1, max=PRICE_MAX))
    limit_count = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=LIMIT_MAX))
    limit_period = fields.String(allow_none=True, validate=validate.OneOf(LimitPeriod.values()))
    station_id = Id(allow_none=True)
    sponsor_unit_id = Id(allow_none=True)
    sponsor_name = Text(NAME_MAX)
    unit_value_cents = fields.Integer(
        validate=validate.Range(min=0, max=VALUE_MAX_CENTS),
        metadata={"description": "declared value of one piece, in fen (0.01 yuan)"},
    )
    available_from = When(allow_none=True)
    available_until = When(allow_none=True)
    is_active = fields.Boolean()


class ItemCreateSchema(ItemFieldsSchema):
    community_id = Id(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=NAME_MAX))
    price = fields.Integer(required=True, validate=validate.Range(min=1, max=PRICE_MAX))
    stock = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=STOCK_MAX),
        metadata={"description": "starting stock, recorded as donated (donation_in)"},
    )


class StockMoveSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(StockMoveKind.values()))
    quantity = fields.Integer(
        required=True,
        validate=validate.Range(min=0, max=STOCK_MAX),
        metadata={
            "description": "pieces donated or written off; for stocktake_adjust the count on the shelf"
        },
    )
    note = Text(NOTE_MAX, load_default="")


class ItemQuerySchema(CursorArgsSchema):
    community_id = Id(strict=False)
    kind = fields.String(validate=validate.OneOf(ItemKind.values()))
    manage = fields.Boolean(
        load_default=False,
        metadata={"description": "staff: every item of the communities they manage, inactive ones too"},
    )


class RedeemSchema(Schema):
    price = fields.Integer(
        validate=validate.Range(min=1, max=PRICE_MAX),
        metadata={"description": "the price the person confirmed; refused (price_changed) if it moved"},
    )


class RedeemFormSchema(RedeemSchema):
    """The page's confirmation form carries its own key, so a double tap redeems once."""

    client_key = fields.String(required=True, validate=validate.Length(min=8, max=64))


class RefusalSchema(Schema):
    code = fields.String()
    message = fields.String()


class SponsorSchema(Schema):
    unit_id = fields.Integer(allow_none=True)
    name = fields.String()


class ItemSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    name = fields.String()
    description = fields.String()
    photo_url = fields.String(allow_none=True)
    kind = fields.String()
    kind_name = fields.String()
    price = fields.Integer()
    stock = fields.Integer()
    limit_count = fields.Integer(allow_none=True)
    limit_period = fields.String(allow_none=True)
    station_id = fields.Integer(allow_none=True)
    station_name = fields.String(allow_none=True)
    sponsor = fields.Nested(SponsorSchema, allow_none=True)
    unit_value_cents = fields.Integer()
    available_from = fields.DateTime(allow_none=True)
    available_until = fields.DateTime(allow_none=True)
    is_active = fields.Boolean()
    redeemable = fields.Boolean(metadata={"description": "whether the reader can redeem it now"})
    refusal = fields.Nested(
        RefusalSchema, allow_none=True, metadata={"description": "why the reader cannot redeem it now"}
    )


ItemPageSchema = keyset_schema(ItemSchema)


class CorrectionSchema(Schema):
    transfer_id = fields.Integer()
    state = fields.String(metadata={"description": "pending, posted (refunded) or voided (rejected)"})


class VoucherSchema(Schema):
    id = fields.Integer()
    item_id = fields.Integer()
    item_name = fields.String()
    community_id = fields.Integer()
    person_id = fields.Integer()
    person_name = fields.String()
    kind = fields.String()
    price = fields.Integer()
    state = fields.String(validate=validate.OneOf(VoucherState.values()))
    state_name = fields.String()
    number = fields.String(metadata={"description": "8 digits to read out at the desk"})
    code = fields.String(allow_none=True, metadata={"description": "the signed code (owner only)"})
    qr_url = fields.String(
        allow_none=True, metadata={"description": "what the voucher's QR holds (owner only)"}
    )
    station_id = fields.Integer(allow_none=True)
    station_name = fields.String(allow_none=True)
    issued_at = fields.DateTime()
    expires_at = fields.DateTime()
    picked_up_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    end_reason = fields.String()
    refund_transfer_id = fields.Integer(allow_none=True)
    correction = fields.Nested(CorrectionSchema, allow_none=True)
    allowed_actions = fields.List(
        fields.String(),
        metadata={
            "description": "what the reader may do now: pickup, cancel, staff_cancel, request_refund, "
            "approve_refund, reject_refund"
        },
    )


VoucherPageSchema = keyset_schema(VoucherSchema)


class VoucherQuerySchema(CursorArgsSchema):
    state = fields.String(validate=validate.OneOf(VoucherState.values()))
    community_id = Id(strict=False)
    corrections = fields.Boolean(
        load_default=False, metadata={"description": "only picked-up vouchers with a refund request"}
    )


class CancelSchema(Schema):
    reason = Text(REASON_MAX, load_default="", metadata={"description": "required when staff cancel"})


class VoucherReasonSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=REASON_MAX))


class LookupSchema(Schema):
    code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=300),
        metadata={
            "description": "what the desk scanned (the QR's URL or code) or typed (the 8-digit number)"
        },
    )


class SponsorQuerySchema(Schema):
    community_id = Id(strict=False)
    unit_id = Id(strict=False)
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv", "xlsx")))


class SponsorRowSchema(Schema):
    community_id = fields.Integer()
    community_name = fields.String()
    sponsor_unit_id = fields.Integer(allow_none=True)
    sponsor = fields.String()
    kind = fields.String()
    items = fields.Integer()
    given_count = fields.Integer(metadata={"description": "pieces donated (donation_in)"})
    given_value_cents = fields.Integer(metadata={"description": "their declared value, in fen"})
    on_hand = fields.Integer()
    picked_up_count = fields.Integer()
    picked_up_points = fields.Integer(metadata={"description": "points redeemed for goods handed over"})
    outstanding_count = fields.Integer(metadata={"description": "vouchers issued, goods not yet picked up"})
    outstanding_points = fields.Integer()


class CirculationSchema(Schema):
    community_id = fields.Integer()
    community_name = fields.String()
    kind = fields.String()
    circulating = fields.Integer(
        metadata={"description": "points the community's pool issued (posted) not yet redeemed in its store"}
    )


class SponsorReportSchema(Schema):
    rows = fields.List(fields.Nested(SponsorRowSchema))
    circulation = fields.List(fields.Nested(CirculationSchema))
