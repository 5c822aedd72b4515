"""Input and output schemas of evaluation, for the API and (input) for the pages' forms alike."""

from __future__ import annotations

from marshmallow import fields, validate, validates_schema
from marshmallow.exceptions import ValidationError

from points.evaluation.models import DeductionState, ObjectionState, PeriodState, PeriodType
from points.labels import N_
from points.schema_fields import Text
from points.validation import Id, Schema

TEXT_MAX = 1000
EVIDENCE_MAX = 500
KINDS = ("hongsong", "xingan")
SUBJECTS = ("person", "unit")
FORMATS = ("json", "csv", "xlsx")


class RankingQuerySchema(Schema):
    kind = fields.String(load_default="xingan", validate=validate.OneOf(KINDS))
    period_type = fields.String(load_default="year", validate=validate.OneOf(PeriodType.values()))
    key = fields.String(
        required=True,
        validate=validate.Length(min=4, max=10),
        metadata={"description": "2026-07 (month), 2026-Q3 (quarter), 2026 (year), 2026-03-01 (custom)"},
    )
    until = fields.String(validate=validate.Length(max=10), metadata={"description": "custom: last day"})
    subject = fields.String(load_default="person", validate=validate.OneOf(SUBJECTS))
    node_id = Id(strict=False, metadata={"description": "a community, grid or street"})
    unit_id = Id(strict=False, metadata={"description": "people of one work unit"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class RankingRowSchema(Schema):
    rank = fields.Integer()
    points = fields.Integer()
    person_id = fields.Integer(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    name = fields.String()
    node_name = fields.String(allow_none=True)
    own_points = fields.Integer(allow_none=True)
    member_points = fields.Integer(allow_none=True)
    stars = fields.Integer(allow_none=True)
    score = fields.Integer(allow_none=True)
    exempt = fields.Boolean(allow_none=True)


class RankingSchema(Schema):
    label = fields.String()
    kind = fields.String()
    items = fields.List(fields.Nested(RankingRowSchema))
    page = fields.Integer()
    per_page = fields.Integer()


class NoticeCreateSchema(Schema):
    community_id = Id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    period_type = fields.String(required=True, validate=validate.OneOf(PeriodType.values()))
    key = fields.String(required=True, validate=validate.Length(min=4, max=10))
    until = fields.String(validate=validate.Length(max=10))
    notice_days = fields.Integer(validate=validate.Range(min=1, max=60))


class PeriodSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    kind = fields.String()
    period_type = fields.String(validate=validate.OneOf(PeriodType.values()))
    label = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    state = fields.String(validate=validate.OneOf(PeriodState.values()))
    notice_ends_at = fields.DateTime()
    frozen_at = fields.DateTime(allow_none=True)
    allowed_actions = fields.List(fields.String())


class PublicRowSchema(Schema):
    rank = fields.Integer()
    person_id = fields.Integer()
    name = fields.String(metadata={"description": "masked: 张*英"})
    points = fields.Integer()
    stars = fields.Integer(allow_none=True)
    exempt = fields.Boolean(allow_none=True)


class PeriodListSchema(Schema):
    items = fields.List(fields.Nested(PeriodSchema))


class PeriodDetailSchema(PeriodSchema):
    rows = fields.List(fields.Nested(PublicRowSchema))


class ObjectionCreateSchema(Schema):
    subject_id = Id(required=True, metadata={"description": "whose listed score it is about"})
    text = fields.String(required=True, validate=validate.Length(min=1, max=TEXT_MAX))
    evidence = Text(EVIDENCE_MAX, load_default="")


class ObjectionAnswerSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("uphold", "reject")))
    answer = fields.String(required=True, validate=validate.Length(min=1, max=TEXT_MAX))
    award_amount = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=10_000))
    reverse_transfer_id = Id(allow_none=True)

    @validates_schema
    def _one_correction(self, data, **_kwargs):
        if data.get("award_amount") and data.get("reverse_transfer_id"):
            raise ValidationError(N_("更正只能是补发或冲正其中之一"), "award_amount")


class ObjectionSchema(Schema):
    id = fields.Integer()
    period_id = fields.Integer()
    subject_id = fields.Integer()
    subject_name = fields.String()
    text = fields.String()
    evidence = fields.String()
    state = fields.String(validate=validate.OneOf(ObjectionState.values()))
    answer = fields.String()
    answered_at = fields.DateTime(allow_none=True)
    correction_transfer_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    allowed_actions = fields.List(fields.String())


class ObjectionListSchema(Schema):
    items = fields.List(fields.Nested(ObjectionSchema))


class ExemptionCreateSchema(Schema):
    person_id = Id(required=True)
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=EVIDENCE_MAX))


class ExemptionSchema(Schema):
    id = fields.Integer()
    person_id = fields.Integer()
    year = fields.Integer()
    reason = fields.String()


class DeductionCreateSchema(Schema):
    person_id = Id(required=True)
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    points = fields.Integer(required=True, validate=validate.Range(min=1, max=40))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=EVIDENCE_MAX))
    evidence = fields.String(required=True, validate=validate.Length(min=1, max=EVIDENCE_MAX))


class DeductionActionSchema(Schema):
    text = Text(TEXT_MAX, load_default="", metadata={"description": "the appeal, or the answer to it"})


class DeductionSchema(Schema):
    id = fields.Integer()
    person_id = fields.Integer()
    year = fields.Integer()
    points = fields.Integer()
    reason = fields.String()
    evidence = fields.String()
    state = fields.String(validate=validate.OneOf(DeductionState.values()))
    appeal_text = fields.String()
    appeal_answer = fields.String()
    created_at = fields.DateTime()
    allowed_actions = fields.List(fields.String())


class RatingSchema(Schema):
    year = fields.Integer()
    points = fields.Integer()
    scheme = fields.String()
    stars = fields.Integer(allow_none=True)
    score = fields.Integer(allow_none=True)
    exempt = fields.Boolean()
    exemption = fields.String(allow_none=True)
    deducted = fields.Integer()
    deductions = fields.List(fields.Nested(DeductionSchema))


class YearQuerySchema(Schema):
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))


class CertificateQuerySchema(Schema):
    kind = fields.String(load_default="xingan", validate=validate.OneOf(KINDS))
    first = fields.Date(required=True, metadata={"description": "first day, Asia/Shanghai"})
    last = fields.Date(required=True, metadata={"description": "last day (included)"})


class UnitReportQuerySchema(Schema):
    """双报告 pages and files: a unit (default: the reader's first), a month or a frozen period
    and one of its members."""

    unit_id = Id(strict=False)
    month = fields.String(validate=validate.Regexp(r"^\d{4}-\d{2}$", error=N_("月份格式如 2026-07")))
    period_id = Id(strict=False)
    person_id = Id(strict=False)
    format = fields.String(validate=validate.OneOf(("csv", "xlsx")))


class CertificateRowSchema(Schema):
    day = fields.Date(
        metadata={"description": "the day of the service (of the award, when it rests on none)"}
    )
    reason = fields.String()
    title = fields.String(metadata={"description": "the task or activity served"})
    hours = fields.Float(metadata={"description": "hours of service; 0 for a discretionary award"})
    amount = fields.Integer()


class CertificateCheckSchema(Schema):
    matches = fields.Boolean()
    name = fields.String(allow_none=True, metadata={"description": "masked: 张*英"})
    kind = fields.String(allow_none=True)
    first = fields.Date(allow_none=True)
    last = fields.Date(allow_none=True)
    total = fields.Integer(allow_none=True)
    hours = fields.Float(allow_none=True)
    digest = fields.String(allow_none=True, metadata={"description": "the 核验码 printed on the certificate"})
    rows = fields.List(fields.Nested(CertificateRowSchema))


# --- the annual assessment sheet ----------------------------------------------------------


class AssessmentQuerySchema(Schema):
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))
    format = fields.String(
        validate=validate.OneOf(("pdf",)), metadata={"description": "pdf: the sheet as A4 PDF"}
    )


class AssessmentServiceSchema(Schema):
    day = fields.Date()
    title = fields.String()
    hours = fields.Float()
    points = fields.Integer()


class AssessmentDeductionSchema(Schema):
    id = fields.Integer()
    day = fields.Date()
    points = fields.Integer()
    reason = fields.String()
    evidence = fields.String()
    state = fields.String()
    appeal_text = fields.String()
    appeal_answer = fields.String()


class MemberSheetSchema(Schema):
    person_id = fields.Integer()
    name = fields.String()
    year = fields.Integer()
    community = fields.String()
    unit_id = fields.Integer(allow_none=True)
    unit = fields.String()
    points = fields.Integer(metadata={"description": "the year's 红松分"})
    stars = fields.Integer(allow_none=True, metadata={"description": "None when exempt (免评)"})
    score = fields.Integer(
        allow_none=True, metadata={"description": "the 100-point score, when that scheme applies"}
    )
    exempt = fields.Boolean()
    exemption = fields.String(metadata={"description": "why the member is exempt (免评)"})
    deducted = fields.Integer()
    hours = fields.Float()
    services = fields.List(fields.Nested(AssessmentServiceSchema))
    deductions = fields.List(fields.Nested(AssessmentDeductionSchema))


class OrgMemberSchema(Schema):
    person_id = fields.Integer()
    name = fields.String()
    node_name = fields.String()
    points = fields.Integer()
    stars = fields.Integer(allow_none=True)
    score = fields.Integer(allow_none=True)
    exempt = fields.Boolean()
    exemption = fields.String()
    deducted = fields.Integer()


class StarCountSchema(Schema):
    stars = fields.Integer()
    members = fields.Integer()


class OrgSummarySchema(Schema):
    unit_id = fields.Integer()
    unit = fields.String()
    year = fields.Integer()
    total_members = fields.Integer()
    rated_members = fields.Integer()
    exempt_members = fields.Integer()
    total_points = fields.Integer()
    stars = fields.List(fields.Nested(StarCountSchema))
    members = fields.List(fields.Nested(OrgMemberSchema))


# --- 双报告 prepared by the monthly job ---------------------------------------------------------


class PreparedReportSchema(Schema):
    month = fields.String(metadata={"description": "2026-10"})
    people = fields.Integer(metadata={"description": "how many of the unit's people served"})
    hongsong = fields.Integer()
    xingan = fields.Integer()
    hours = fields.Float()
    prepared_at = fields.DateTime()


class PreparedReportListSchema(Schema):
    unit_id = fields.Integer()
    items = fields.List(fields.Nested(PreparedReportSchema))


class ReportLineSchema(Schema):
    day = fields.String()
    person_id = fields.Integer(allow_none=True, metadata={"description": "None for the unit's own claims"})
    name = fields.String()
    what = fields.String()
    kind = fields.String()
    hours = fields.Float()
    points = fields.Integer()


class PreparedReportDetailSchema(PreparedReportSchema):
    unit_id = fields.Integer()
    lines = fields.List(fields.Nested(ReportLineSchema))


class ReportFormatSchema(Schema):
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(FORMATS),
        metadata={"description": "json, or a csv / xlsx file"},
    )
