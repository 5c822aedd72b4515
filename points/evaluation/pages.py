"""Pages of evaluation: rankings (staff, supervisors, unit admins), 光荣榜 (residents), the
公示 management and objections queue, the public 公示 page, and my rating with appeals.

Forms are loaded by the API's own schemas (`load_form`); every change runs in `page_action`,
so a refusal is flashed and rolled back and the request boundary commits.
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from points.auth.current import current_actor, current_actor_or_none, login_required
from points.db import LOCAL_TZ, session, utcnow
from points.errors import DomainError, Forbidden, ValidationFailed
from points.evaluation import (
    assessment,
    certificates,
    charts,
    export,
    operations,
    presenters,
    queries,
    reports,
)
from points.evaluation.models import DeductionState, ObjectionState, PeriodState, PeriodType
from points.evaluation.schemas import (
    AssessmentQuerySchema,
    CertificateQuerySchema,
    DeductionActionSchema,
    DeductionCreateSchema,
    ExemptionCreateSchema,
    NoticeCreateSchema,
    ObjectionAnswerSchema,
    ObjectionCreateSchema,
    RankingQuerySchema,
    UnitReportQuerySchema,
)
from points.evaluation.transitions import why_not
from points.ledger.models import Kind, Reason
from points.org.models import OrgNode
from points.org.queries import all_nodes, unit_names
from points.people.queries import get_person
from points.web import field_limits, load_form, page_action, refuse

bp = Blueprint("evaluation_pages", __name__, template_folder="templates")
LABELS = {
    "kind_names": Kind.titles(),
    "reason_names": Reason.titles(),
    "period_types": PeriodType.titles(),
    "period_states": PeriodState.titles(),
    "objection_states": ObjectionState.titles(),
    "deduction_states": DeductionState.titles(),
}


def _render(template: str, status: int = 200, **context) -> Response:
    return Response(render_template(template, **LABELS, **context), status=status, mimetype="text/html")


def _default_key(period_type: str) -> str:
    today = utcnow().astimezone(LOCAL_TZ)
    if period_type == "month":
        return today.strftime("%Y-%m")
    if period_type == "quarter":
        return f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    if period_type == "custom":
        return today.replace(day=1).strftime("%Y-%m-%d")
    return str(today.year)


def _ranking_args(defaults: dict) -> tuple[dict, dict]:
    """The ranking filters from the query string, loaded by the API's schema; errors by field."""
    raw = request.args.to_dict()
    raw.setdefault("period_type", defaults.get("period_type", "year"))
    raw.setdefault("key", _default_key(raw["period_type"]))
    for name, value in defaults.items():
        raw.setdefault(name, value)
    try:
        return load_form(RankingQuerySchema(), raw), {}
    except ValidationFailed as exc:
        return {}, exc.errors or {}


def _scope_nodes(actor) -> list[OrgNode]:
    """Streets, communities and grids the reader may rank."""
    return [
        n
        for n in all_nodes()
        if n.level in ("street", "community", "grid") and actor.can("evaluation.read", n.path)
    ]


@bp.get("/evaluation/rankings")
@login_required
def rankings():
    actor = current_actor()
    if not (actor.can_somewhere("evaluation.read") or actor.unit_ids or actor.is_global_admin):
        raise Forbidden("forbidden", "排名供社区工作人员、街道、监督小组和单位管理员查看")
    nodes = _scope_nodes(actor)
    defaults = {"node_id": str(nodes[0].id)} if nodes else {"unit_id": str(actor.unit_ids[0])}
    args, errors = _ranking_args(defaults)
    result, refusal = None, None
    if args:
        try:
            result = presenters.ranking(actor, args)
        except DomainError as exc:
            if exc.status == 404:
                raise
            refusal = exc.translated()
    fmt = request.args.get("format")
    if result is not None and fmt in ("csv", "xlsx"):
        return export.ranking_file(result, fmt)
    return _render(
        "evaluation/rankings.html",
        args=args or request.args,
        errors=errors,
        refusal=refusal,
        result=result,
        nodes=nodes,
        units=actor.unit_ids,
    )


@bp.get("/evaluation/book")
@login_required
def book():
    """党员积分制管理台账: every party member of a community or street for a year, with points,
    stars or 免评, the 100-point score and deductions; as a page, xlsx or CSV."""
    actor = current_actor()
    nodes = [n for n in _scope_nodes(actor) if n.level in ("street", "community")]
    if not nodes:
        raise Forbidden("forbidden", "台账供社区工作人员、街道和监督小组查看")
    year = _year(request.args.get("year"))
    node = next((n for n in nodes if str(n.id) == request.args.get("node_id")), nodes[0])
    start, end, _ = queries.period_span("year", str(year))
    rows = queries.ranking_rows(
        queries.member_book_stmt(start=start, end=end, node_path=node.path), limit=5000
    )
    queries.with_ratings(rows, year=year, community_path=None)
    fmt = request.args.get("format")
    if fmt in ("csv", "xlsx"):
        return export.table_file(rows, export.BOOK_COLUMNS, f"members-{year}", fmt)
    return _render("evaluation/book.html", rows=rows, year=year, node=node, nodes=nodes)


def _year(value: str | None) -> int:
    this_year = utcnow().astimezone(LOCAL_TZ).year
    return int(value) if value and value.isdigit() and 2000 <= int(value) <= 2100 else this_year


@bp.get("/evaluation/dashboard")
@login_required
def dashboard():
    """积分统计: charts of a street or community over the last 12 months."""
    actor = current_actor()
    nodes = [n for n in _scope_nodes(actor) if n.level in ("street", "community")]
    if not nodes:
        raise Forbidden("forbidden", "积分统计供社区工作人员、街道和监督小组查看")
    node = next((n for n in nodes if str(n.id) == request.args.get("node_id")), nodes[0])
    today = utcnow().astimezone(LOCAL_TZ).date()
    communities = charts.community_charts(node.path, today) if node.level == "street" else None
    return _render(
        "evaluation/dashboard.html",
        node=node,
        nodes=nodes,
        issued=charts.issued_chart(node.path, today),
        participation=charts.participation_chart(node.path, today),
        demands=charts.demands_chart(node.path, today),
        top_tasks=charts.top_tasks_chart(node.path, today),
        communities=communities,
    )


def _previous_month() -> str:
    today = utcnow().astimezone(LOCAL_TZ).date()
    return f"{today.year - 1}-12" if today.month == 1 else f"{today.year}-{today.month - 1:02d}"


@bp.get("/evaluation/unit-report")
@login_required
def unit_report():
    """双报告: a unit's monthly report of its people's service, as a page, xlsx or CSV."""
    actor = current_actor()
    args = load_form(UnitReportQuerySchema(), request.args)
    unit = reports.readable_unit(actor, args.get("unit_id"))
    report = reports.month_report(unit, args.get("month") or _previous_month())
    if args.get("format"):
        name = f"unit-{unit.id}-{report['label']}"
        return export.table_file(report["lines"], reports.REPORT_COLUMNS, name, args["format"])
    return _render(
        "evaluation/unit_report.html",
        report=report,
        units=unit_names(actor.unit_ids),
        prepared=reports.prepared(unit),
    )


@bp.get("/evaluation/unit-reports/<string:month>")
@login_required
def prepared_report(month: str):
    """A monthly report as the monthly job prepared it, as an xlsx or CSV file."""
    actor = current_actor()
    args = load_form(UnitReportQuerySchema(), request.args)
    unit = reports.readable_unit(actor, args.get("unit_id"))
    found = reports.prepared_report(unit, month[:7])
    name = f"unit-{unit.id}-{found['report'].month}"
    return export.table_file(found["lines"], reports.REPORT_COLUMNS, name, args.get("format") or "xlsx")


@bp.get("/evaluation/unit-statements")
@login_required
def unit_statements():
    """After a frozen period: its list of the unit's members, and each member's statement (a
    page, xlsx or CSV)."""
    actor = current_actor()
    args = load_form(UnitReportQuerySchema(), request.args)
    unit = reports.readable_unit(actor, args.get("unit_id"))
    if args.get("period_id") and args.get("person_id"):
        statement = reports.member_statement(unit, args["period_id"], args["person_id"])
        if args.get("format"):
            name = f"statement-{statement['period'].id}-{args['person_id']}"
            return export.table_file(statement["lines"], reports.STATEMENT_COLUMNS, name, args["format"])
        return _render("evaluation/unit_statement.html", unit=unit, statement=statement)
    period, members = (None, [])
    if args.get("period_id"):
        period, members = reports.unit_period(unit, args["period_id"])
    return _render(
        "evaluation/unit_statements.html",
        unit=unit,
        period=period,
        members=members,
        periods=reports.frozen_periods(unit),
    )


@bp.get("/honors")
@login_required
def honors():
    """光荣榜: my community's top 50 of the month or year, names masked."""
    person = get_person(current_actor().person_id)
    args, errors = _ranking_args({"period_type": "month", "kind": "xingan"})
    rows, label = [], ""
    if args and person.community_id is not None:
        start, end, label = queries.period_span(args["period_type"], args["key"], args.get("until"))
        stmt = queries.person_ranking_stmt(
            kind=args["kind"], start=start, end=end, node_path=queries.community_path(person.community_id)
        )
        rows = presenters.public_rows(queries.ranking_rows(stmt, limit=50))
    periods = queries.public_periods(person.community_id) if person.community_id else []
    return _render(
        "evaluation/honors.html", rows=rows, label=label, args=args, errors=errors, periods=periods
    )


# --- 公示 management ----------------------------------------------------------------------


@bp.route("/evaluation/periods", methods=["GET", "POST"])
@login_required
def periods():
    actor = current_actor()
    if not actor.can_somewhere("evaluation.read"):
        raise Forbidden("forbidden", "公示管理供社区工作人员和监督小组使用")
    errors = {}
    if request.method == "POST":
        try:
            data = load_form(NoticeCreateSchema(), request.form)
        except ValidationFailed as exc:
            errors = exc.errors or {}
        else:
            period = page_action(lambda: operations.open_notice(actor=actor, **data), done=_("已开始公示"))
            if period is not None:
                return redirect(url_for("evaluation_pages.period", period_id=period.id))
    stmt = queries.periods_stmt(scope=actor.scope_filter("evaluation.read", OrgNode.path)).limit(100)
    now = utcnow()
    rows = [presenters.period_view(actor, p, now=now) for p in session().exec(stmt).all()]
    scope = actor.scope_filter("evaluation.manage", OrgNode.path)
    return _render(
        "evaluation/periods.html",
        status=422 if errors else 200,
        periods=rows,
        errors=errors,
        form=request.form,
        communities=[n for n in _scope_nodes(actor) if n.level == "community"],
        may_manage=actor.can_somewhere("evaluation.manage"),
        deductions=[
            presenters.deduction_view(actor, d)
            for d in session().exec(queries.deductions_stmt(scope=scope, open_only=True).limit(100)).all()
        ]
        if actor.can_somewhere("evaluation.manage")
        else [],
        limits={
            name: field_limits(DeductionCreateSchema(), name) for name in ("points", "reason", "evidence")
        },
    )


@bp.get("/evaluation/periods/<int:period_id>")
@login_required
def period(period_id: int):
    actor = current_actor()
    found = queries.visible_period(actor, period_id)
    now = utcnow()
    return _render(
        "evaluation/period.html",
        period=presenters.period_view(actor, found, now=now),
        why_not_freeze=why_not(actor, found, "freeze", now=now),
        rows=presenters.public_rows(queries.period_rows(found)),
        objections=presenters.objection_views(actor, queries.objections_of(found.id)),
        answer_limits=field_limits(ObjectionAnswerSchema(), "answer"),
    )


@bp.post("/evaluation/periods/<int:period_id>/freeze")
@login_required
def freeze(period_id: int):
    actor = current_actor()
    page_action(lambda: operations.freeze_period(actor=actor, period_id=period_id), done=_("已定档"))
    return redirect(url_for("evaluation_pages.period", period_id=period_id))


@bp.post("/evaluation/objections/<int:objection_id>/answer")
@login_required
def answer(objection_id: int):
    actor = current_actor()
    objection = queries.get_objection(objection_id)

    def run():
        data = load_form(ObjectionAnswerSchema(), request.form)
        return operations.answer_objection(actor=actor, objection_id=objection_id, **data)

    page_action(run, done=_("已答复"))
    return redirect(url_for("evaluation_pages.period", period_id=objection.period_id))


@bp.post("/evaluation/exemptions")
@login_required
def exempt():
    actor = current_actor()

    def run():
        return operations.exempt_member(actor=actor, **load_form(ExemptionCreateSchema(), request.form))

    page_action(run, done=_("已登记免评"))
    return redirect(url_for("evaluation_pages.periods"))


@bp.post("/evaluation/deductions")
@login_required
def deduct():
    actor = current_actor()

    def run():
        return operations.request_deduction(actor=actor, **load_form(DeductionCreateSchema(), request.form))

    page_action(run, done=_("扣分已提交，待另一名工作人员复核"))
    return redirect(url_for("evaluation_pages.periods"))


@bp.post(
    "/evaluation/deductions/<int:deduction_id>/<any(approve, reject, appeal, uphold_appeal, dismiss_appeal):action>"
)
@login_required
def deduction_action(deduction_id: int, action: str):
    actor = current_actor()

    def run():
        data = load_form(DeductionActionSchema(), request.form)
        return operations.act_on_deduction(actor=actor, deduction_id=deduction_id, action=action, **data)

    page_action(run, done=_("已处理"))
    back = "evaluation_pages.mine" if action == "appeal" else "evaluation_pages.periods"
    return redirect(url_for(back))


# --- the public 公示 page and my rating ----------------------------------------------------


@bp.get("/notice/<int:period_id>")
def notice(period_id: int):
    """The public 公示 of a period: masked names, never phones; anyone may read it, people of the
    community may object while it runs."""
    found = queries.get_period(period_id)
    actor = current_actor_or_none()
    now = utcnow()
    return _render(
        "evaluation/notice.html",
        period=presenters.period_view(None, found, now=now),
        community=queries.community_name(found.community_id),
        rows=presenters.public_rows(queries.period_rows(found)),
        objections=presenters.objection_views(None, queries.objections_of(found.id)),
        open_for_objections=found.state == "notice" and now < found.notice_ends_at,
        logged_in=actor is not None,
        limits={name: field_limits(ObjectionCreateSchema(), name) for name in ("text", "evidence")},
    )


@bp.post("/notice/<int:period_id>/objections")
@login_required
def object_to(period_id: int):
    actor = current_actor()

    def run():
        data = load_form(ObjectionCreateSchema(), request.form)
        return operations.file_objection(actor=actor, period_id=period_id, **data)

    page_action(run, done=_("异议已提交，工作人员将在公示期内答复"))
    return redirect(url_for("evaluation_pages.notice", period_id=period_id))


@bp.get("/evaluation/me")
@login_required
def mine():
    actor = current_actor()
    year = utcnow().astimezone(LOCAL_TZ).year
    person = get_person(actor.person_id)
    return _render(
        "evaluation/mine.html",
        year=year,
        rating=queries.person_rating(person, year),
        first=f"{year}-01-01",
        last=utcnow().astimezone(LOCAL_TZ).date().isoformat(),
        deductions=[presenters.deduction_view(actor, d) for d in queries.deductions_of(actor.person_id)],
        is_member=person.is_party_member,
        person_id=person.id,
    )


@bp.get("/evaluation/certificate")
@login_required
def certificate():
    """My service certificate as a PDF, for the days asked (the form is on my stars page)."""
    actor = current_actor()
    try:
        args = load_form(CertificateQuerySchema(), request.args)
        found = certificates.build(actor.person_id, args["kind"], args["first"], args["last"])
    except DomainError as exc:
        if exc.status == 404:
            raise
        refuse(exc)
        return redirect(url_for("evaluation_pages.mine"))
    return Response(
        certificates.pdf(found, now=utcnow()),
        mimetype="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="certificate.pdf"'},
    )


# --- the annual assessment sheet ------------------------------------------------------------


def _pdf(body: bytes, name: str) -> Response:
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
    )


@bp.get("/evaluation/assessment/<int:person_id>")
@login_required
def assessment_sheet(person_id: int):
    """A party member's annual assessment sheet: printable, or as a PDF (`format=pdf`)."""
    actor = current_actor()
    person = assessment.readable_member(actor, person_id)
    args = load_form(AssessmentQuerySchema(), request.args)
    sheet = assessment.member_sheet(person, args.get("year") or _year(None))
    if args.get("format") == "pdf":
        return _pdf(assessment.member_pdf(sheet, now=utcnow()), f"assessment-{sheet['year']}-{person.id}")
    may_read_org = False
    if sheet["unit_id"] is not None:
        try:
            assessment.readable_org(actor, sheet["unit_id"])
            may_read_org = True
        except DomainError:
            pass
    return _render("evaluation/assessment.html", sheet=sheet, may_read_org=may_read_org)


@bp.get("/evaluation/assessment/units/<int:unit_id>")
@login_required
def org_assessment(unit_id: int):
    """A party organisation's summary of its members' year: printable, or as a PDF."""
    actor = current_actor()
    unit = assessment.readable_org(actor, unit_id)
    args = load_form(AssessmentQuerySchema(), request.args)
    summary = assessment.org_summary(unit, args.get("year") or _year(None))
    if args.get("format") == "pdf":
        return _pdf(assessment.org_pdf(summary, now=utcnow()), f"organisation-{summary['year']}-{unit.id}")
    return _render("evaluation/org_assessment.html", summary=summary)


@bp.get("/certificates/<string:token>")
def verify_certificate(token: str):
    """The public verification page a certificate's QR code opens."""
    return _render(
        "evaluation/verify.html", result=presenters.verification(*certificates.verify(token[:2000]))
    )
