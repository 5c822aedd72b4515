"""Pages of the ledger: my points and statement, the approval queue, the supervisors' ledger."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import select

from points.auth.current import current_actor_or_none, login_required
from points.db import LOCAL_TZ, session, utcnow
from points.errors import DomainError, Forbidden
from points.i18n import translate
from points.ledger import operations, queries
from points.ledger.export import statement_csv
from points.ledger.models import KIND_NAMES, KINDS, REASONS, STATUSES
from points.ledger.stars import person_stars
from points.org.models import OrgNode, Unit
from points.people.models import Person
from points.people.queries import mask_phone
from points.web import safe_local_path

bp = Blueprint("ledger_pages", __name__, template_folder="templates")
REASON_NAMES = {
    "task_award": "任务奖励",
    "checkin_award": "签到奖励",
    "manual_award": "手动发放",
    "redemption": "积分兑换",
    "refund": "兑换退还",
    "reversal": "冲正",
    "expiry": "积分过期",
}
STATUS_NAMES = {"pending": "待审批", "post": "审批通过", "void": "已驳回", "posted": "已入账"}
STATE_NAMES = {"pending": "待审批", "posted": "已入账", "voided": "已驳回", "reversed": "已冲正"}
PROOF_NAMES = {"checkin": "扫码签到", "claim": "任务核验", "discretion": "工作人员酌情"}
_nodes = OrgNode.__table__
PER_PAGE = 30


def _names(rows: list[dict]) -> dict[int, str]:
    """A readable name for every account in the rows (phones masked)."""
    owners = queries.account_owners(
        {r["debit_account_id"] for r in rows} | {r["credit_account_id"] for r in rows}
    )
    people = {o[1] for o in owners.values() if o[0] == "person"}
    units = {o[1] for o in owners.values() if o[0] == "unit"}
    nodes = {o[1] for o in owners.values() if o[0] in ("pool", "store")}
    sess = session()
    person_names = {p.id: f"{p.name} {mask_phone(p.phone)}" for p in _load(sess, Person, people)}
    unit_names = {u.id: u.name for u in _load(sess, Unit, units)}
    node_names = {n.id: n.name for n in _load(sess, OrgNode, nodes)}
    labels = {
        "person": lambda i: person_names.get(i, f"#{i}"),
        "unit": lambda i: unit_names.get(i, f"#{i}"),
        "pool": lambda i: _("%(name)s 积分池", name=node_names.get(i, i)),
        "store": lambda i: _("%(name)s 积分超市", name=node_names.get(i, i)),
    }
    return {account: labels[kind](owner) for account, (kind, owner) in owners.items()}


def _load(sess, model, ids):
    return sess.exec(select(model).where(model.id.in_(ids))).all() if ids else []


def _day(value: str | None, *, end: bool = False) -> datetime | None:
    """A local calendar day from a form field; the end of a period is the next midnight."""
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=LOCAL_TZ)
    except ValueError as exc:
        raise DomainError("invalid_date", "日期格式应为 年-月-日，例如 2026-01-31", 422) from exc
    return day + timedelta(days=1) if end else day


def _page_number() -> int:
    try:
        return min(max(1, int(request.args.get("page", "1"))), 1_000_000)
    except ValueError:
        return 1


def _my_statement(**page) -> tuple[str, dict]:
    """My statement of the kind and period the query string asks for."""
    kind = request.args.get("kind", "xingan")
    if kind not in KINDS:
        kind = "xingan"
    start, end = _day(request.args.get("from")), _day(request.args.get("to"), end=True)
    actor = current_actor_or_none()
    return kind, queries.statement("person", actor.person_id, kind, start=start, end=end, **page)


def _stars_if_member(actor):
    """The star rating is the party members' evaluation; residents see none."""
    stars = person_stars(actor.person_id)
    return stars if stars.points or actor.is_party_member else None


@bp.get("/points")
@login_required
def my_points():
    kind, page = _my_statement(page=_page_number(), per_page=PER_PAGE, compact=True)
    return render_template(
        "ledger/points.html",
        balances=queries.balances_of_person(current_actor_or_none().person_id),
        stars=_stars_if_member(current_actor_or_none()),
        kind=kind,
        page=page,
        pages=max(1, -(-page["total"] // PER_PAGE)),
        kind_names=KIND_NAMES,
        reason_names=REASON_NAMES,
        status_names=STATUS_NAMES,
        state_names=STATE_NAMES,
        args=request.args,
    )


@bp.get("/points/statement.csv")
@login_required
def my_points_csv():
    kind, page = _my_statement(per_page=100_000)
    return statement_csv(page["items"], f"points-{kind}.csv")


def _require_approver():
    actor = current_actor_or_none()
    if not actor.can_somewhere("awards.approve"):
        raise Forbidden("forbidden", "只有社区工作人员可以审批积分")
    return actor


@bp.get("/approvals")
@login_required
def approvals():
    actor = _require_approver()
    args = request.args
    try:
        hours = int(args["older_than_hours"]) if args.get("older_than_hours") else None
        community_id = int(args["community_id"]) if args.get("community_id") else None
    except ValueError as exc:
        raise DomainError("invalid_filter", "筛选条件应为数字", 422) from exc
    stmt = queries.approval_queue_stmt(
        scope=actor.scope_filter("awards.approve", _nodes.c.path),
        community_id=community_id,
        kind=args.get("kind") if args.get("kind") in KINDS else None,
        reason=args.get("reason") if args.get("reason") in REASONS else None,
        older_than=utcnow() - timedelta(hours=hours) if hours is not None else None,
    )
    conn = session().connection()
    total = conn.execute(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    rows = [dict(r) for r in conn.execute(stmt.limit(200)).mappings()]
    communities = (
        session()
        .exec(
            select(OrgNode).where(
                OrgNode.level == "community", actor.scope_filter("awards.approve", OrgNode.path)
            )
        )
        .all()
    )
    # What this approver may not decide (the operation's own rule): shown, with the reason,
    # but without buttons.
    own = {
        transfer_id: translate(refusal.source, **refusal.values)
        for transfer_id, refusal in operations.approval_refusals(actor, rows).items()
    }
    return render_template(
        "ledger/approvals.html",
        rows=rows,
        own=own,
        total=total,
        names=_names(rows),
        requesters=_people_names({r["requested_by_id"] for r in rows} | {r["verified_by_id"] for r in rows}),
        communities=communities,
        community_names={c.id: c.name for c in communities},
        kind_names=KIND_NAMES,
        reason_names=REASON_NAMES,
        proof_names=PROOF_NAMES,
        args=args,
    )


def _people_names(ids: set[int | None]) -> dict[int, str]:
    return {p.id: p.name for p in _load(session(), Person, {i for i in ids if i})}


def _back_to_queue():
    queue = url_for("ledger_pages.approvals")
    return redirect(safe_local_path(request.form.get("back"), queue))


@bp.post("/approvals/<int:transfer_id>/approve")
@login_required
def approve(transfer_id: int):
    return _decide(
        lambda actor: operations.approve_award(actor=actor, transfer_id=transfer_id), _("已审批通过")
    )


@bp.post("/approvals/<int:transfer_id>/reject")
@login_required
def reject(transfer_id: int):
    reason = request.form.get("reason", "")
    return _decide(
        lambda actor: operations.reject_award(actor=actor, transfer_id=transfer_id, reason=reason),
        _("已驳回"),
    )


@bp.post("/approvals/bulk")
@login_required
def bulk():
    try:
        ids = [int(i) for i in request.form.getlist("ids")]
    except ValueError:
        ids = []
    if not ids:
        flash(_("请先勾选要审批的积分"))
        return _back_to_queue()
    return _decide(
        lambda actor: operations.bulk_approve(actor=actor, transfer_ids=ids),
        _("已批量审批 %(count)s 笔", count=len(ids)),
    )


def _decide(action, done: str):
    actor = _require_approver()
    try:
        action(actor)
    except DomainError as exc:
        session().rollback()
        message = translate(exc.message) or _("操作失败")
        if exc.code == "bulk_refused" and exc.errors:
            # Each refusal reads "code: message"; the code means nothing to an approver.
            details = [
                _("记录 %(id)s：%(reason)s", id=k, reason=translate(v[0].split(": ", 1)[-1]))
                for k, v in exc.errors.items()
            ]
            # TRANSLATORS: the separator between the refused records of one bulk approval
            separator = _("；")
            message = _("%(message)s：%(details)s", message=message, details=separator.join(details))
        flash(message)
    else:
        session().commit()
        flash(done)
    return _back_to_queue()


@bp.get("/ledger")
@login_required
def ledger():
    actor = current_actor_or_none()
    if not actor.can_somewhere("ledger.read"):
        raise Forbidden("forbidden", "只有工作人员和监督小组可以查看台账")
    args = request.args
    stmt = queries.transfers_stmt(
        scope=actor.scope_filter("ledger.read", _nodes.c.path),
        kind=args.get("kind") if args.get("kind") in KINDS else None,
        reason=args.get("reason") if args.get("reason") in REASONS else None,
        status=args.get("status") if args.get("status") in STATUSES else None,
        start=_day(args.get("from")),
        end=_day(args.get("to"), end=True),
    )
    conn = session().connection()
    total = conn.execute(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    page = _page_number()
    rows = [dict(r) for r in conn.execute(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).mappings()]
    # Chain heads and community names of the reader's own scope only.
    communities = (
        session()
        .exec(
            select(OrgNode).where(
                OrgNode.level == "community", actor.scope_filter("ledger.read", OrgNode.path)
            )
        )
        .all()
    )
    community_names = {c.id: c.name for c in communities}
    verification = queries.latest_verification()
    heads = {
        k: v for k, v in (verification.heads if verification else {}).items() if int(k) in community_names
    }
    return render_template(
        "ledger/ledger.html",
        community_names=community_names,
        heads=heads,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        names=_names(rows),
        verification=verification,
        kind_names=KIND_NAMES,
        reason_names=REASON_NAMES,
        status_names=STATUS_NAMES,
        args=args,
    )
