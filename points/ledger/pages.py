"""Pages of the ledger: my points and statement, the approval queue, the supervisors' ledger.

Filters and forms are loaded by the API's own schemas (`load_form`); every decision runs in
`page_action`, so a refusal is flashed and rolled back and the request boundary commits.
"""

from __future__ import annotations

from datetime import date, timedelta

import marshmallow as ma
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import select
from werkzeug.datastructures import MultiDict

from points.auth.current import current_actor_or_none, login_required
from points.charts import bar_chart, fill_months, month_bounds
from points.db import LOCAL_TZ, session, utcnow
from points.errors import DomainError, Forbidden, ValidationFailed, refusal_text
from points.labels import N_
from points.ledger import history, operations, queries
from points.ledger.export import statement_csv
from points.ledger.models import Kind, Proof, Reason, Status, Transfer, TransferState
from points.ledger.schemas import QueueQuerySchema, RejectSchema, StatementFilterSchema, TransferQuerySchema
from points.ledger.stars import person_stars
from points.ledger.transitions import allowed_actions, approval_refusals
from points.org.models import OrgNode, Unit
from points.pagination import keyset, sifted_keyset
from points.people.models import Person
from points.people.queries import mask_phone
from points.web import field_limits, list_cursor, load_form, page_action, safe_local_path

bp = Blueprint("ledger_pages", __name__, template_folder="templates")
_nodes = OrgNode.__table__
PER_PAGE = 30
QUEUE_PER_PAGE = 100
LABELS = {
    "kind_names": Kind.titles(),
    "reason_names": Reason.titles(),
    "status_names": Status.titles(),
    "state_names": TransferState.titles(),
    "proof_names": Proof.titles(),
}


def _render(template: str, status: int = 200, **context) -> Response:
    return Response(render_template(template, **LABELS, **context), status=status, mimetype="text/html")


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


def _keyset(stmt, *, per_page: int, newest_first: bool) -> dict:
    return keyset(
        stmt,
        keys=[(Transfer.__table__.c.id, newest_first)],
        cursor=list_cursor(),
        per_page=per_page,
        fetch="mappings",
    )


def _is_day(value: str | None) -> bool:
    try:
        date.fromisoformat((value or "").strip())
    except ValueError:
        return False
    return True


def _filters(schema: ma.Schema, args: MultiDict, **defaults: str) -> tuple[dict, dict]:
    """A page's filters from the query string, loaded by the API's schema: (values, errors).

    What does not load is shown under its field, and the page falls back to `defaults`. A date
    picker's "to" day counts whole: the period ends at the next midnight."""
    try:
        values = load_form(schema, args)
    except ValidationFailed as exc:
        return load_form(schema, MultiDict(defaults)), exc.errors or {}
    if values.get("end") is not None and _is_day(args.get("to")):
        values["end"] += timedelta(days=1)
    return values, {}


# --- my points --------------------------------------------------------------------------


def _has_any(balance: dict | None) -> bool:
    return bool(balance) and any(balance.values())


def my_kinds(actor, balances: dict) -> list[str]:
    """The kinds a person's statement offers, theirs first: a party member's 红松分 before 兴安分;
    红松分 not at all to someone who can never earn it and never had any."""
    hongsong = actor.is_party_member or _has_any(balances.get(Kind.HONGSONG))
    if not hongsong:
        return [Kind.XINGAN.value]
    kinds = [Kind.HONGSONG.value, Kind.XINGAN.value]
    if not _has_any(balances.get(Kind.HONGSONG)) and _has_any(balances.get(Kind.XINGAN)):
        kinds.reverse()
    return kinds


def _my_statement_filter(default_kind: str = Kind.XINGAN.value) -> tuple[dict, dict]:
    args = request.args.copy()
    if not args.get("kind"):
        args["kind"] = default_kind
    return _filters(StatementFilterSchema(), args, kind=default_kind)


def _stars_if_member(actor):
    """The star rating is the party members' evaluation; residents see none."""
    stars = person_stars(actor.person_id)
    return stars if stars.points or actor.is_party_member else None


def _my_months_chart(person_id: int, kinds: list[str]) -> dict:
    """My points over the last 12 months, by the kinds my statement offers (one grouped statement)."""
    bounds, labels = month_bounds(utcnow().astimezone(LOCAL_TZ).date())
    accounts = queries.account_ids_of("person", person_id)
    stmt = queries.monthly_earnings_stmt(bounds=bounds, account_ids=accounts)
    values = fill_months(
        session().execute(stmt).mappings(),
        labels,
        kinds,
        key_of=lambda r: r["kind"],
        month_of=lambda r: r["month"],
        value_of=lambda r: r["points"],
    )
    titles = Kind.titles()
    return bar_chart(_("近 12 个月得到的积分"), labels, [(k, _(titles[k]), values[k]) for k in kinds])


@bp.get("/points")
@login_required
def my_points():
    actor = current_actor_or_none()
    balances = queries.balances_of_person(actor.person_id)
    kinds = my_kinds(actor, balances)
    values, errors = _my_statement_filter(kinds[0])
    page = history.statement(
        "person",
        actor.person_id,
        values["kind"],
        start=values.get("start"),
        end=values.get("end"),
        cursor=list_cursor(),
        per_page=PER_PAGE,
        compact=True,
    )
    return _render(
        "ledger/points.html",
        422 if errors else 200,
        balances=balances,
        kinds=kinds,
        stars=_stars_if_member(actor),
        chart=_my_months_chart(actor.person_id, kinds),
        kind=values["kind"],
        in_wechat="MicroMessenger" in request.user_agent.string,
        page=page,
        errors=errors,
        args=request.args,
    )


@bp.get("/points/statement.csv")
@login_required
def my_points_csv():
    values, errors = _my_statement_filter()
    if errors:
        raise ValidationFailed("validation_error", "输入有误，请查看各项的说明", errors=errors)
    account_id = queries.find_account_id("person", current_actor_or_none().person_id, values["kind"])
    period = {"start": values.get("start"), "end": values.get("end")}
    return statement_csv(account_id, period, f"points-{values['kind']}.csv")


# --- the approval queue -------------------------------------------------------------------


def _require_approver():
    actor = current_actor_or_none()
    if not actor.can_somewhere("awards.approve"):
        raise Forbidden("forbidden", "只有社区工作人员可以审批积分")
    return actor


def _communities(actor, action: str) -> list[OrgNode]:
    stmt = select(OrgNode).where(OrgNode.level == "community", actor.scope_filter(action, OrgNode.path))
    return list(session().exec(stmt).all())


@bp.get("/approvals")
@login_required
def approvals():
    actor = _require_approver()
    filters, errors = _filters(QueueQuerySchema(), request.args)
    hours = filters.get("older_than_hours")
    stmt = queries.approval_queue_stmt(
        scope=actor.scope_filter("awards.approve", _nodes.c.path),
        community_id=filters.get("community_id"),
        kind=filters.get("kind"),
        reason=filters.get("reason"),
        older_than=utcnow() - timedelta(hours=hours) if hours is not None else None,
    )
    # Two lists, each paged by its own cursor, split by the operation's own rule: what this
    # approver may decide, and what needs someone else (their own requests, maker–checker; a
    # tie), shown with the reason and without buttons.
    refused, allowed = {}, {}

    def sift(decidable: bool):
        def keep(rows: list[dict]) -> list[dict]:
            rows = queries.annotate(rows)
            said = approval_refusals(actor, rows)
            refused.update(said)
            allowed.update(allowed_actions(actor, rows, refused=said))
            return [r for r in rows if ("approve" in allowed[r["id"]]) == decidable]

        return keep

    mine = _sifted(stmt, "cursor", keep=sift(True))
    others = _sifted(stmt, "others", keep=sift(False))
    rows = mine["items"] + others["items"]
    communities = _communities(actor, "awards.approve")
    return _render(
        "ledger/approvals.html",
        422 if errors else 200,
        mine=mine,
        others=others,
        errors=errors,
        allowed=allowed,
        reason_limits=field_limits(RejectSchema(), "reason"),
        why_not={row["id"]: refused[row["id"]].translated() for row in others["items"]},
        names=_names(rows),
        requesters=_people_names({r["requested_by_id"] for r in rows} | {r["verified_by_id"] for r in rows}),
        communities=communities,
        community_names={c.id: c.name for c in communities},
        args=request.args,
    )


def _sifted(stmt, arg: str, *, keep) -> dict:
    """One of the queue's lists, oldest first, from its own cursor (the query argument `arg`)."""
    return sifted_keyset(
        stmt,
        keys=[(Transfer.__table__.c.id, False)],
        cursor=list_cursor(arg),
        per_page=QUEUE_PER_PAGE,
        keep=keep,
    )


def _people_names(ids: set[int | None]) -> dict[int, str]:
    return {p.id: p.name for p in _load(session(), Person, {i for i in ids if i})}


def _back_to_queue():
    queue = url_for("ledger_pages.approvals")
    return redirect(safe_local_path(request.form.get("back"), queue))


def _posted(schema: ma.Schema) -> dict:
    """The posted form loaded by the API's schema. A form that does not load is refused with
    what is wrong with it, which the queue shows as the flash (it has no form to show again)."""
    try:
        return load_form(schema, request.form)
    except ValidationFailed as exc:
        first = next(iter((exc.errors or {}).values()), [exc.source])
        raise ValidationFailed("validation_error", first[0], errors=exc.errors) from exc


@bp.post("/approvals/<int:transfer_id>/approve")
@login_required
def approve(transfer_id: int):
    actor = _require_approver()
    page_action(lambda: operations.approve_award(actor=actor, transfer_id=transfer_id), done=_("已审批通过"))
    return _back_to_queue()


@bp.post("/approvals/<int:transfer_id>/reject")
@login_required
def reject(transfer_id: int):
    actor = _require_approver()
    page_action(
        lambda: operations.reject_award(actor=actor, transfer_id=transfer_id, **_posted(RejectSchema())),
        done=_("已驳回"),
    )
    return _back_to_queue()


@bp.post("/approvals/bulk")
@login_required
def bulk():
    actor = _require_approver()
    try:
        ids = [int(i) for i in request.form.getlist("ids")]
    except ValueError:
        ids = []
    if not ids:
        flash(_("请先勾选要审批的积分"), "error")
        return _back_to_queue()
    page_action(lambda: _approve_all(actor, ids), done=_("已批量审批 %(count)s 笔", count=len(ids)))
    return _back_to_queue()


def _approve_all(actor, ids: list[int]) -> list[dict]:
    """Bulk approval whose refusal names each refused record and why, in the reader's language."""
    try:
        return operations.bulk_approve(actor=actor, transfer_ids=ids)
    except DomainError as exc:
        if not exc.refusals:
            raise
        details = [
            _("记录 %(id)s：%(reason)s", id=transfer_id, reason=refusal_text(refusal))
            for transfer_id, refusal in exc.refusals.items()
        ]
        # TRANSLATORS: the separator between the refused records of one bulk approval
        values = {"summary": exc.translated(), "details": _("；").join(details)}
        raise DomainError(exc.code, N_("%(summary)s：%(details)s"), exc.status, values=values) from exc


# --- the supervisors' ledger --------------------------------------------------------------


@bp.get("/ledger")
@login_required
def ledger():
    actor = current_actor_or_none()
    if not actor.can_somewhere("ledger.read"):
        raise Forbidden("forbidden", "只有工作人员和监督小组可以查看台账")
    filters, errors = _filters(TransferQuerySchema(), request.args)
    stmt = queries.transfers_stmt(
        scope=actor.scope_filter("ledger.read", _nodes.c.path),
        **{k: filters.get(k) for k in ("kind", "reason", "status", "start", "end")},
    )
    data = _keyset(stmt, per_page=PER_PAGE, newest_first=True)
    # Chain heads and community names of the reader's own scope only.
    community_names = {c.id: c.name for c in _communities(actor, "ledger.read")}
    verification = queries.latest_verification()
    heads = {
        k: v for k, v in (verification.heads if verification else {}).items() if int(k) in community_names
    }
    return _render(
        "ledger/ledger.html",
        422 if errors else 200,
        community_names=community_names,
        heads=heads,
        data=data,
        rows=queries.annotate(data["items"]),
        errors=errors,
        names=_names(data["items"]),
        verification=verification,
        args=request.args,
    )
