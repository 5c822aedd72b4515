"""Home page; for staff the registrations (双报到) queue and people; the audit log."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import select

from points.auth.current import current_actor_or_none, login_required
from points.db import session
from points.errors import DomainError
from points.i18n import translate
from points.org.models import OrgNode, Unit
from points.people import operations, queries
from points.people.audit_log import audit_stmt
from points.people.models import Person, RegistrationState, Role
from points.web import safe_local_path

bp = Blueprint("people_pages", __name__, template_folder="templates")

ROLE_NAMES = Role.titles()
STATUS_NAMES = RegistrationState.titles()


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


PAGE_SIZE = 50


def _page_number() -> int:
    value = request.args.get("page", "1")
    return max(int(value), 1) if value.isdigit() and len(value) < 6 else 1


@bp.get("/people")
@login_required
def people():
    """Staff find people of their scope; managers see full phones and may unlock or reset."""
    actor = current_actor_or_none()
    actor.require_somewhere("people.read")
    q = request.args.get("q", "").strip()[:50]
    page = _page_number()
    stmt = queries.people_stmt(actor, q=q or None)
    total = session().exec(select(sa.func.count()).select_from(stmt.order_by(None).subquery())).one()
    rows = session().exec(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    communities = {n.id: n for n in _load(OrgNode, {p.community_id for p in rows if p.community_id})}
    locked = queries.locked_phones([p.phone for p in rows])
    return render_template(
        "people.html",
        rows=[
            (
                person,
                queries.person_view(actor, person, queries.home_path(person), person.phone in locked),
                communities.get(person.community_id),
            )
            for person in rows
        ],
        q=q,
        total=total,
        current=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        args=request.args,
        manages={p.id for p in rows if actor.can("people.manage", queries.home_path(p))},
        new_password=None,
    )


@bp.post("/people/<int:person_id>/<action>")
@login_required
def person_action(person_id: int, action: str):
    actor = current_actor_or_none()
    back = safe_local_path(request.form.get("back"), url_for("people_pages.people"))
    try:
        if action == "unlock":
            operations.unlock_person(actor=actor, person_id=person_id)
            message = _("已解除锁定")
        elif action == "reset-password":
            password = operations.reset_password(actor=actor, person_id=person_id)
            session().commit()
            # Shown once, in this answer only (never in a cookie: flashes live in the session
            # cookie), to the staff member who will hand it over in person.
            return _no_store(
                render_template(
                    "password_reset.html", person=queries.get_person(person_id), password=password, back=back
                )
            )
        else:
            abort(404)
    except DomainError as exc:
        session().rollback()
        flash(translate(exc.message), "error")
    else:
        session().commit()
        flash(message)
    return redirect(back)


def _no_store(html: str):
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/audit")
@login_required
def audit():
    """The audit log of the reader's scope (supervisors, staff, street admins)."""
    actor = current_actor_or_none()
    actor.require_somewhere("audit.read")
    action = request.args.get("action", "").strip()[:64] or None
    page = _page_number()
    stmt = audit_stmt(actor, action=action)
    total = session().exec(select(sa.func.count()).select_from(stmt.order_by(None).subquery())).one()
    rows = session().exec(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    actors = {p.id: p.name for p in _load(Person, {r.actor_id for r in rows if r.actor_id})}
    nodes = {n.id: n.name for n in _load(OrgNode, {r.node_id for r in rows if r.node_id})}
    return render_template(
        "audit.html",
        rows=rows,
        actors=actors,
        nodes=nodes,
        action=action or "",
        total=total,
        current=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        args=request.args,
    )
