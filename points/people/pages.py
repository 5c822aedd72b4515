"""Staff pages: the registrations (双报到) queue, people (unlock, reset a password), the audit log."""

from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from points.auth.current import current_actor_or_none, login_required
from points.errors import Forbidden, ValidationFailed
from points.org.queries import community_names
from points.people import operations, queries
from points.people.audit_log import AUDIT_ACTIONS, audit_page
from points.people.models import RegistrationState
from points.people.schemas import (
    AuditFilterSchema,
    PeopleFilterSchema,
    RegistrationDecisionSchema,
    RegistrationFilterSchema,
)
from points.web import field_limits, list_cursor, load_form, page_action, safe_local_path

bp = Blueprint("people_pages", __name__, template_folder="templates")

PAGE_SIZE = 50


def _filters(schema) -> tuple[dict, dict]:
    """A list page's filters, read by the API's query schema. What cannot be read is left out
    and its message shown by its field."""
    try:
        return load_form(schema, request.args), {}
    except ValidationFailed as exc:
        return {}, exc.errors or {}


# --- registrations (双报到) ------------------------------------------------------------------


@bp.get("/registrations")
@login_required
def registrations():
    """Staff see their communities' registrations; members and unit admins their own. Each row
    offers exactly what its `allowed_actions` hold."""
    actor = current_actor_or_none()
    if not queries.has_registrations_page(actor):
        raise Forbidden("forbidden", "双报到页面供党员、报到单位的管理员和社区工作人员使用")
    filters, errors = _filters(RegistrationFilterSchema())
    status = filters.get("status", RegistrationState.PENDING)
    found = queries.registrations_page(actor, cursor=list_cursor(), per_page=PAGE_SIZE, status=status)
    found["items"] = queries.registration_listing(actor, found["items"])
    return render_template(
        "registrations.html",
        found=found,
        errors=errors,
        status=status,
        states=RegistrationState,
        note_limits=field_limits(RegistrationDecisionSchema(), "note"),
    )


def _decision_note() -> str:
    return load_form(RegistrationDecisionSchema(), request.form)["note"]


def _decide(registration_id: int, *, confirm: bool, done: str):
    actor = current_actor_or_none()
    page_action(
        lambda: operations.decide_registration(
            actor=actor, registration_id=registration_id, confirm=confirm, note=_decision_note()
        ),
        done=done,
    )
    return redirect(url_for("people_pages.registrations"))


@bp.post("/registrations/<int:registration_id>/confirm")
@login_required
def confirm_registration(registration_id: int):
    return _decide(registration_id, confirm=True, done=_("已确认报到"))


@bp.post("/registrations/<int:registration_id>/decline")
@login_required
def decline_registration(registration_id: int):
    return _decide(registration_id, confirm=False, done=_("已拒绝报到"))


@bp.post("/registrations/<int:registration_id>/withdraw")
@login_required
def withdraw_registration(registration_id: int):
    actor = current_actor_or_none()
    page_action(
        lambda: operations.withdraw_registration(actor=actor, registration_id=registration_id),
        done=_("已撤回报到"),
    )
    return redirect(url_for("people_pages.registrations", status=RegistrationState.WITHDRAWN.value))


# --- people ------------------------------------------------------------------------------


@bp.get("/people")
@login_required
def people():
    """Staff find people of their scope; managers see full phones and may unlock or reset."""
    actor = current_actor_or_none()
    actor.require_somewhere("people.read")
    filters, errors = _filters(PeopleFilterSchema())
    found = queries.people_page(
        actor,
        q=filters.get("q"),
        community_id=filters.get("community_id"),
        cursor=list_cursor(),
        per_page=PAGE_SIZE,
    )
    communities = community_names(sorted({p["community_id"] for p in found["items"] if p["community_id"]}))
    operations.record_phone_views(actor=actor, people=found["items"])
    return render_template(
        "people.html",
        found=found,
        communities=communities,
        q=request.args.get("q", ""),
        errors=errors,
        q_limits=field_limits(PeopleFilterSchema(), "q"),
    )


def _back() -> str:
    return safe_local_path(request.form.get("back"), url_for("people_pages.people"))


@bp.post("/people/<int:person_id>/unlock")
@login_required
def unlock_person(person_id: int):
    actor = current_actor_or_none()
    page_action(lambda: operations.unlock_person(actor=actor, person_id=person_id), done=_("已解除锁定"))
    return redirect(_back())


@bp.post("/people/<int:person_id>/reset-password")
@login_required
def reset_password(person_id: int):
    actor = current_actor_or_none()
    password = page_action(lambda: operations.reset_password(actor=actor, person_id=person_id))
    if password is None:
        return redirect(_back())
    # Shown once, in this answer only (never in a cookie: flashes live in the session cookie),
    # to the staff member who will hand it over in person.
    page = render_template(
        "password_reset.html", person=queries.get_person(person_id), password=password, back=_back()
    )
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the audit log -----------------------------------------------------------------------


@bp.get("/audit")
@login_required
def audit():
    """The audit log of the reader's scope (supervisors, staff, street admins)."""
    actor = current_actor_or_none()
    actor.require_somewhere("audit.read")
    filters, errors = _filters(AuditFilterSchema())
    found = audit_page(
        actor,
        action=filters.get("action"),
        node_id=filters.get("node_id"),
        cursor=list_cursor(),
        per_page=PAGE_SIZE,
    )
    rows = found["items"]
    return render_template(
        "audit.html",
        found=found,
        actors=queries.person_names({r.actor_id for r in rows if r.actor_id}),
        nodes=community_names(sorted({r.node_id for r in rows if r.node_id})),
        action=request.args.get("action", ""),
        action_names=AUDIT_ACTIONS,
        errors=errors,
    )
