"""Home page, and the registrations (双报到) queue for staff."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import select

from points.auth.current import current_actor_or_none
from points.auth.pages import login_required
from points.db import session
from points.errors import DomainError
from points.i18n import translate
from points.org.models import OrgNode, Unit
from points.people import operations, queries
from points.people.api import balances_out, roles_out
from points.people.models import Person

bp = Blueprint("people_pages", __name__, template_folder="templates")

ROLE_NAMES = {
    "staff": "社区工作者",
    "grid_worker": "网格员",
    "street_admin": "街道管理员",
    "supervisor": "监督小组",
    "unit_admin": "单位管理员",
    "admin": "系统管理员",
}
STATUS_NAMES = {"pending": "待确认", "confirmed": "已确认", "declined": "已拒绝", "withdrawn": "已撤回"}


@bp.get("/")
@login_required
def home():
    actor = current_actor_or_none()
    person = queries.get_person(actor.person_id)
    reg = queries.member_registration(person.id)
    community = session().get(OrgNode, person.community_id) if person.community_id else None
    return render_template(
        "home.html",
        person=person,
        community=community,
        registration=reg,
        acts_as_member=queries.acts_as_party_member(person),
        roles=roles_out(person.id),
        balances=balances_out(person.id),
        role_names=ROLE_NAMES,
        status_names=STATUS_NAMES,
        can_confirm=bool(
            actor.scope_paths("registrations.confirm") is None or actor.scope_paths("registrations.confirm")
        ),
    )


@bp.get("/registrations")
@login_required
def registrations():
    actor = current_actor_or_none()
    status = request.args.get("status", "pending")
    if status not in STATUS_NAMES:
        status = "pending"
    rows = session().exec(queries.registrations_stmt(actor, status=status).limit(200)).all()
    people = {p.id: p for p in _load(Person, {r.person_id for r in rows if r.person_id})}
    units = {u.id: u for u in _load(Unit, {r.unit_id for r in rows if r.unit_id})}
    communities = {n.id: n for n in _load(OrgNode, {r.community_id for r in rows})}
    # Buttons only where a decision would be accepted: not on one's own, not outside one's role.
    decidable = {
        r.id
        for r in rows
        if r.status == "pending"
        and r.person_id != actor.person_id
        and actor.can("registrations.confirm", communities[r.community_id].path)
    }
    return render_template(
        "registrations.html",
        rows=rows,
        people=people,
        units=units,
        communities=communities,
        decidable=decidable,
        status=status,
        status_names=STATUS_NAMES,
        mask=queries.mask_phone,
    )


def _load(model, ids: set[int]):
    if not ids:
        return []
    return session().exec(select(model).where(model.id.in_(ids))).all()


@bp.post("/registrations/<int:registration_id>/<decision>")
@login_required
def decide(registration_id: int, decision: str):
    actor = current_actor_or_none()
    if decision not in ("confirm", "decline"):
        return redirect(url_for("people_pages.registrations"))
    try:
        operations.decide_registration(
            actor=actor,
            registration_id=registration_id,
            confirm=decision == "confirm",
            note=request.form.get("note", ""),
        )
    except DomainError as exc:
        session().rollback()
        flash(translate(exc.message) or _("操作失败"))
    else:
        session().commit()
        flash(_("已确认报到") if decision == "confirm" else _("已拒绝报到"))
    return redirect(url_for("people_pages.registrations"))
