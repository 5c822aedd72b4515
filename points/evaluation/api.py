"""JSON endpoints of evaluation: rankings, 光荣榜, periods in 公示 with their objections,
exemptions, deductions and appeals, and one's own rating."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from points.auth.current import current_actor
from points.db import LOCAL_TZ, session, utcnow
from points.endpoints import secured
from points.errors import NotFound, problem_doc
from points.evaluation import assessment, certificates, export, operations, presenters, queries, reports
from points.evaluation.schemas import (
    AssessmentQuerySchema,
    CertificateCheckSchema,
    CertificateQuerySchema,
    DeductionActionSchema,
    DeductionCreateSchema,
    DeductionSchema,
    ExemptionCreateSchema,
    ExemptionSchema,
    MemberSheetSchema,
    NoticeCreateSchema,
    ObjectionAnswerSchema,
    ObjectionCreateSchema,
    ObjectionListSchema,
    ObjectionSchema,
    OrgSummarySchema,
    PeriodDetailSchema,
    PeriodListSchema,
    PeriodSchema,
    PreparedReportDetailSchema,
    PreparedReportListSchema,
    RankingQuerySchema,
    RankingSchema,
    RatingSchema,
    ReportFormatSchema,
    YearQuerySchema,
)
from points.org.models import OrgNode
from points.people.queries import get_person

blp = Blueprint(
    "evaluation",
    __name__,
    url_prefix="/api/v1/evaluation",
    description="Evaluation: rankings, 公示 of periods, objections, star ratings",
)
DEDUCTION_ACTIONS = ("approve", "reject", "appeal", "uphold_appeal", "dismiss_appeal")


@blp.route("/rankings")
class Rankings(MethodView):
    @secured(blp, 200, RankingSchema, query=RankingQuerySchema)
    @blp.alt_response(422, **problem_doc("invalid_period, scope_required"))
    def get(self, args):
        """People (or party organisations, `subject=unit`) ranked by points of a kind in a
        month, quarter, year or custom span, within a community, grid, street or unit; equal
        scores share a rank. Yearly 红松分 rankings carry stars."""
        return presenters.ranking(current_actor(), args)


@blp.route("/honors")
class Honors(MethodView):
    @secured(blp, 200, RankingSchema, query=RankingQuerySchema(only=("kind", "period_type", "key", "until")))
    def get(self, args):
        """光荣榜: the top 50 of my community, names masked (张*英), no phones."""
        person = get_person(current_actor().person_id)
        if person.community_id is None:
            raise NotFound("not_found", "未找到")
        start, end, label = queries.period_span(args["period_type"], args["key"], args.get("until"))
        stmt = queries.person_ranking_stmt(
            kind=args["kind"], start=start, end=end, node_path=queries.community_path(person.community_id)
        )
        rows = presenters.public_rows(queries.ranking_rows(stmt, limit=50))
        return {"label": label, "kind": args["kind"], "items": rows, "page": 1, "per_page": 50}


@blp.route("/periods")
class Periods(MethodView):
    @secured(blp, 200, PeriodListSchema)
    def get(self):
        """Periods of the communities I may read, newest first."""
        actor = current_actor()
        actor.require_somewhere("evaluation.read")
        stmt = queries.periods_stmt(scope=actor.scope_filter("evaluation.read", OrgNode.path)).limit(100)
        now = utcnow()
        return {"items": [presenters.period_view(actor, p, now=now) for p in session().exec(stmt).all()]}

    @secured(blp, 201, PeriodSchema, body=NoticeCreateSchema)
    @blp.alt_response(409, **problem_doc("period_not_over, duplicate"))
    def post(self, data):
        """Open a finished period for public notice (公示) for `notice_days`."""
        actor = current_actor()
        period = operations.open_notice(actor=actor, **data)
        return presenters.period_view(actor, period, now=utcnow())


@blp.route("/periods/<int:period_id>")
class PeriodDetail(MethodView):
    @secured(blp, 200, PeriodDetailSchema)
    def get(self, period_id):
        """A period with its published list (live in notice, the snapshot once frozen)."""
        actor = current_actor()
        period = queries.visible_period(actor, period_id)
        view = presenters.period_view(actor, period, now=utcnow())
        view["rows"] = presenters.public_rows(queries.period_rows(period))
        return view


@blp.route("/periods/<int:period_id>/freeze")
class Freeze(MethodView):
    @secured(blp, 200, PeriodSchema)
    @blp.alt_response(409, **problem_doc("already_frozen, notice_running, objections_open"))
    def post(self, period_id):
        """Freeze the period after its notice, every objection answered."""
        actor = current_actor()
        period = operations.freeze_period(actor=actor, period_id=period_id)
        return presenters.period_view(actor, period, now=utcnow())


@blp.route("/periods/<int:period_id>/objections")
class Objections(MethodView):
    @secured(blp, 200, ObjectionListSchema)
    def get(self, period_id):
        """The period's objections, for staff and supervisors."""
        actor = current_actor()
        queries.visible_period(actor, period_id)
        return {"items": presenters.objection_views(actor, queries.objections_of(period_id))}

    @secured(blp, 201, ObjectionSchema, body=ObjectionCreateSchema)
    @blp.alt_response(409, **problem_doc("not_in_notice"))
    def post(self, data, period_id):
        """Object to a listed score while the period is in notice (residents and members of
        the community)."""
        actor = current_actor()
        objection = operations.file_objection(actor=actor, period_id=period_id, **data)
        session().flush()
        return presenters.objection_views(actor, [objection])[0]


@blp.route("/objections/<int:objection_id>/answer")
class Answer(MethodView):
    @secured(blp, 200, ObjectionSchema, body=ObjectionAnswerSchema)
    @blp.alt_response(409, **problem_doc("already_answered"))
    def post(self, data, objection_id):
        """Answer an objection on record: uphold (optionally asking the ledger for an award or a
        reversal, which another staff member approves) or reject with the reason."""
        actor = current_actor()
        objection = operations.answer_objection(actor=actor, objection_id=objection_id, **data)
        return presenters.objection_views(actor, [objection])[0]


@blp.route("/exemptions")
class Exemptions(MethodView):
    @secured(blp, 201, ExemptionSchema, body=ExemptionCreateSchema)
    def post(self, data):
        """Exempt a member from a year's rating (免评), with the reason."""
        return operations.exempt_member(actor=current_actor(), **data)


@blp.route("/deductions")
class Deductions(MethodView):
    @secured(blp, 201, DeductionSchema, body=DeductionCreateSchema)
    def post(self, data):
        """Ask for a deduction from a member's 100-point score (reason and evidence); another
        staff member approves it."""
        actor = current_actor()
        deduction = operations.request_deduction(actor=actor, **data)
        session().flush()
        return presenters.deduction_view(actor, deduction)


@blp.route("/deductions/<int:deduction_id>/<string:action>")
class DeductionAction(MethodView):
    @secured(blp, 200, DeductionSchema, body=DeductionActionSchema)
    @blp.alt_response(409, **problem_doc("not_allowed_now"))
    def post(self, data, deduction_id, action):
        """approve, reject, appeal (the member), uphold_appeal or dismiss_appeal."""
        if action not in DEDUCTION_ACTIONS:
            raise NotFound("not_found", "未找到")
        actor = current_actor()
        deduction = operations.act_on_deduction(actor=actor, deduction_id=deduction_id, action=action, **data)
        return presenters.deduction_view(actor, deduction)


@blp.route("/me/rating")
class MyRating(MethodView):
    @secured(blp, 200, RatingSchema, query=YearQuerySchema)
    def get(self, args):
        """My star rating for a year (this year by default), with deductions and appeals."""
        actor = current_actor()
        year = args.get("year") or utcnow().astimezone(LOCAL_TZ).year
        rating = queries.person_rating(get_person(actor.person_id), year)
        deductions = queries.deductions_of(actor.person_id, year=year)
        return {
            **rating,
            "year": year,
            "deductions": [presenters.deduction_view(actor, d) for d in deductions],
        }


@blp.route("/me/certificate")
class MyCertificate(MethodView):
    @secured(blp, query=CertificateQuerySchema)
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf")
    @blp.alt_response(422, **problem_doc("invalid_period"))
    def get(self, args):
        """My service certificate (志愿服务证明) for a span of days, as a PDF whose QR code opens
        its public verification page."""
        certificate = certificates.build(current_actor().person_id, args["kind"], args["first"], args["last"])
        return Response(
            certificates.pdf(certificate, now=utcnow()),
            mimetype="application/pdf",
            headers={"Content-Disposition": 'attachment; filename="certificate.pdf"'},
        )


@blp.route("/certificates/<string:token>")
class Verification(MethodView):
    @blp.response(200, CertificateCheckSchema)
    def get(self, token):
        """Check a certificate's QR token against the ledger as it is now (no login needed)."""
        return presenters.verification(*certificates.verify(token[:2000]))


def _year_of(args: dict) -> int:
    return args.get("year") or utcnow().astimezone(LOCAL_TZ).year


def _pdf(body: bytes, name: str) -> Response:
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
    )


@blp.route("/assessment/people/<int:person_id>")
class MemberAssessment(MethodView):
    @secured(blp, 200, MemberSheetSchema, query=AssessmentQuerySchema(only=("year",)))
    @blp.alt_response(404, **problem_doc("not_found"))
    def get(self, args, person_id):
        """A party member's annual assessment sheet: verified service with days and hours, 红松分,
        stars or 免评, deductions and appeals. For the member, their unit's admin, and staff,
        street admins and supervisors over their community; anyone else gets 404."""
        person = assessment.readable_member(current_actor(), person_id)
        return assessment.member_sheet(person, _year_of(args))


@blp.route("/assessment/people/<int:person_id>/pdf")
class MemberAssessmentPdf(MethodView):
    @secured(blp, query=AssessmentQuerySchema(only=("year",)))
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf")
    @blp.alt_response(404, **problem_doc("not_found"))
    def get(self, args, person_id):
        """The member's annual assessment sheet as an A4 PDF."""
        person = assessment.readable_member(current_actor(), person_id)
        sheet = assessment.member_sheet(person, _year_of(args))
        return _pdf(assessment.member_pdf(sheet, now=utcnow()), f"assessment-{sheet['year']}-{person.id}")


@blp.route("/assessment/units/<int:unit_id>")
class OrgAssessment(MethodView):
    @secured(blp, 200, OrgSummarySchema, query=AssessmentQuerySchema(only=("year",)))
    @blp.alt_response(404, **problem_doc("not_found"))
    def get(self, args, unit_id):
        """A party organisation's year: its members with points and stars (免评 apart) and the
        totals. For its unit admin, and staff, street admins and supervisors over a community it
        reports to."""
        unit = assessment.readable_org(current_actor(), unit_id)
        return assessment.org_summary(unit, _year_of(args))


@blp.route("/assessment/units/<int:unit_id>/pdf")
class OrgAssessmentPdf(MethodView):
    @secured(blp, query=AssessmentQuerySchema(only=("year",)))
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf")
    @blp.alt_response(404, **problem_doc("not_found"))
    def get(self, args, unit_id):
        """The organisation's summary as an A4 PDF."""
        unit = assessment.readable_org(current_actor(), unit_id)
        summary = assessment.org_summary(unit, _year_of(args))
        return _pdf(assessment.org_pdf(summary, now=utcnow()), f"organisation-{summary['year']}-{unit.id}")


@blp.route("/units/<int:unit_id>/reports")
class UnitReports(MethodView):
    @secured(blp, 200, PreparedReportListSchema)
    @blp.alt_response(404, **problem_doc("not_found"))
    def get(self, unit_id):
        """双报告: the unit's monthly reports the monthly job prepared, newest first (the unit's
        admin, or an admin)."""
        unit = reports.readable_unit(current_actor(), unit_id)
        return {"unit_id": unit.id, "items": reports.prepared(unit)}


@blp.route("/units/<int:unit_id>/reports/<string:month>")
class UnitReportDetail(MethodView):
    @secured(blp, 200, PreparedReportDetailSchema, query=ReportFormatSchema)
    @blp.alt_response(404, **problem_doc("not_found"))
    def get(self, args, unit_id, month):
        """One prepared monthly report: its lines (who, what, when, hours, points) as JSON, or
        as a CSV or xlsx file (`format`)."""
        unit = reports.readable_unit(current_actor(), unit_id)
        found = reports.prepared_report(unit, month[:7])
        if args["format"] != "json":
            name = f"unit-{unit.id}-{month[:7]}"
            return export.table_file(found["lines"], reports.REPORT_COLUMNS, name, args["format"])
        report = found["report"]
        return {
            "unit_id": unit.id,
            "month": report.month,
            "people": report.people,
            "hongsong": report.hongsong,
            "xingan": report.xingan,
            "hours": report.hours,
            "prepared_at": report.prepared_at,
            "lines": found["lines"],
        }
