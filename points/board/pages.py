"""Board pages: the board, a task, my claims; for staff posting and managing a task and the
verification queue; for unit admins their confirmations and members.

Forms are loaded by the API's schemas, each page's one change runs through `page_action`, and
the buttons shown are the actions the task and claim tables allow (`allowed_actions`).
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from points.auth.current import current_actor_or_none, login_required
from points.board import draw, listing, operations, queries
from points.board.forms import form_action, limits_of
from points.board.models import Category, ClaimState, TaskState
from points.board.presenters import (
    claimable_units,
    claims_out,
    dispatch_candidates,
    names,
    task_form_context,
    tasks_out,
)
from points.board.schemas import (
    ClaimCreateSchema,
    DispatchSchema,
    OptionalReasonSchema,
    ReasonSchema,
    SubmitSchema,
    TaskCreateSchema,
    TaskUpdateSchema,
    VerifySchema,
)
from points.db import utcnow
from points.errors import DomainError, NotFound
from points.labels import N_
from points.people.queries import mask_phone
from points.web import field_limits, list_cursor, load_form, page_action, safe_local_path

bp = Blueprint("board_pages", __name__, template_folder="templates")
# A mainland mobile number, as the task page's dispatch field asks for.
MOBILE = re.compile(r"1[3-9]\d{9}")
# Tasks on one page of the board: a phone screen or two.
BOARD_PER_PAGE = 30
# Claims on one page of my claims and of the verification queue.
LIST_PER_PAGE = 30


@bp.context_processor
def _names() -> dict:
    return names() | {"action_limits": action_limits()}


def action_limits() -> dict[str, dict]:
    """The limits of the small forms behind a task's and a claim's buttons."""
    return {
        "reason": field_limits(ReasonSchema(), "reason"),
        "optional_reason": field_limits(OptionalReasonSchema(), "reason"),
        "note": field_limits(SubmitSchema(), "note"),
        "phone": field_limits(DispatchSchema(), "phone"),
        "description": field_limits(TaskUpdateSchema(), "description"),
        "place": field_limits(TaskUpdateSchema(), "place"),
        "slots": field_limits(TaskUpdateSchema(), "slots"),
    }


def _back(default: str):
    return redirect(safe_local_path(request.form.get("back"), default))


def _form(schema) -> dict:
    """The submitted form, loaded by the API's schema for the action (none: no fields)."""
    return load_form(schema(), request.form) if schema is not None else {}


# --- residents and party members ------------------------------------------------------------


@bp.get("/board")
@login_required
def board():
    actor, now = current_actor_or_none(), utcnow()
    category = request.args.get("category") if request.args.get("category") in Category.values() else None
    only_claimable = request.args.get("claimable") == "1"
    data = listing.board_page(
        actor,
        now=now,
        cursor=list_cursor(),
        per_page=BOARD_PER_PAGE,
        category=category,
        claimable=True if only_claimable else None,
    )
    return render_template(
        "board/board.html",
        tasks=tasks_out(actor, data["items"], now=now),
        data=data,
        category=category,
        only_claimable=only_claimable,
    )


@bp.get("/tasks/<int:task_id>")
@login_required
def task(task_id: int):
    actor, now = current_actor_or_none(), utcnow()
    row = tasks_out(actor, [queries.task_row(actor, task_id, now=now)], now=now)[0]
    manages = actor.can("tasks.manage", queries.community_path(row["community_id"]))
    mine = queries.first_rows(queries.my_claims_stmt(actor, task_id=task_id), 10)
    claims = queries.first_rows(queries.task_claims_stmt(task_id)) if manages else []
    who = (request.args.get("who") or "").strip()[:50]
    dispatchable = manages and "dispatch" in row["allowed_actions"]
    return render_template(
        "board/task.html",
        task=row,
        station=queries.find_station(row["station_id"]),
        mine=claims_out(actor, mine, now=now),
        manages=manages,
        claims=claims_out(actor, claims, now=now),
        units=claimable_units(actor, task_id, now=now) if "claim_unit" in row["allowed_actions"] else [],
        who=who,
        candidates=dispatch_candidates(actor, task_id, who, now=now) if dispatchable and who else [],
    )


@bp.post("/tasks/<int:task_id>/claim")
@login_required
def claim(task_id: int):
    actor = current_actor_or_none()
    page_action(
        lambda: operations.claim_task(actor=actor, task_id=task_id, **_form(ClaimCreateSchema)),
        done=_("揭榜成功，请按时参加"),
    )
    return redirect(url_for("board_pages.task", task_id=task_id))


# Each action a claim's buttons post: the operation, the schema of its form, and what is said
# when it is done (translated when flashed, in the language of that request).
CLAIM_ACTIONS = {
    "accept": (operations.accept_dispatch, None, N_("已接单")),
    "decline": (operations.decline_dispatch, OptionalReasonSchema, N_("已拒绝派单")),
    "withdraw": (operations.withdraw_claim, OptionalReasonSchema, N_("已取消揭榜，名额已释放")),
    "submit": (operations.submit_claim, SubmitSchema, N_("已提交，等待验收")),
    "verify": (operations.verify_claim, VerifySchema, N_("已验收")),
    "reject": (operations.reject_claim, ReasonSchema, N_("已驳回")),
    "no-show": (operations.mark_no_show, None, N_("已标记未到场")),
}


@bp.get("/claims/<int:claim_id>")
@login_required
def show_claim(claim_id: int):
    """A claim is shown on its task's page (with the claim among the task's claims for staff)."""
    _claim, task = queries.visible_claim(current_actor_or_none(), claim_id)
    return redirect(url_for("board_pages.task", task_id=task.id, _anchor=f"claim-{claim_id}"))


@bp.post("/claims/<int:claim_id>/<action>")
@login_required
def claim_action(claim_id: int, action: str):
    if action not in CLAIM_ACTIONS:
        abort(404)
    call, schema, done = CLAIM_ACTIONS[action]
    actor = current_actor_or_none()
    page_action(lambda: call(actor=actor, claim_id=claim_id, **_form(schema)), done=_(done))
    return _back(url_for("board_pages.my_claims"))


@bp.get("/my/claims")
@login_required
def my_claims():
    actor = current_actor_or_none()
    state = request.args.get("state") if request.args.get("state") in ClaimState.values() else None
    data = queries.my_claims_page(actor, cursor=list_cursor(), per_page=LIST_PER_PAGE, state=state)
    return render_template(
        "board/my_claims.html",
        claims=claims_out(actor, data["items"], now=utcnow()),
        data=data,
        state=state,
    )


# --- staff ---------------------------------------------------------------------------------


def _task_form_page(*, form, refusal=None):
    """The form to post a task, as typed so far, with the messages of a refusal under its fields."""
    context = task_form_context(current_actor_or_none())
    if context is None:
        abort(403)
    html = render_template(
        "board/task_form.html",
        form=form,
        errors=(refusal.errors or {}) if refusal else {},
        limits=limits_of(TaskCreateSchema()),
        **context,
    )
    return html, refusal.status if refusal else 200


@bp.route("/tasks/new", methods=["GET", "POST"])
@login_required
def new_task():
    actor = current_actor_or_none()
    if request.method == "GET":
        return _task_form_page(form={"slots": "1", "eligibility": "anyone"})
    task, refusal = form_action(
        lambda: operations.create_task(actor=actor, **load_form(TaskCreateSchema(), request.form))
    )
    if refusal is not None:
        return _task_form_page(form=request.form, refusal=refusal)
    flash(_("任务已张榜") if task.state == TaskState.POSTED else _("草稿已保存"))
    return redirect(url_for("board_pages.task", task_id=task.id))


def _dispatch(*, actor, task_id: int, **assignee):
    """A dispatch from the task page: a mistyped or unknown phone is said on the task page, not
    answered with a missing page (the task is there; the person typed is not)."""
    phone = assignee.get("phone")
    if phone is not None and not MOBILE.fullmatch(phone):
        raise DomainError("invalid_phone", "请输入有效的手机号", 422)
    try:
        return operations.dispatch_task(actor=actor, task_id=task_id, **assignee)
    except NotFound as exc:
        if exc.code != "person_not_found":
            raise
        raise DomainError("person_not_found", "没有找到这个手机号的人", 422) from exc


# Each action the management part of a task page posts: the operation, the schema of its form,
# and what is said when it is done.
TASK_ACTIONS = {
    "post": (operations.post_task, None, N_("任务已张榜")),
    "close": (operations.close_task, None, N_("任务已截止报名")),
    "complete": (operations.complete_task, None, N_("任务已完成")),
    "draw": (draw.draw_task, None, N_("已抽签，名额已按结果分配")),
    "dispatch": (_dispatch, DispatchSchema, N_("已派单，等待对方接单")),
    "cancel": (operations.cancel_task, ReasonSchema, N_("任务已取消，名额已释放，待审批积分已作废")),
}


@bp.post("/tasks/<int:task_id>/edit")
@login_required
def edit_task(task_id: int):
    """A posted task's description, place, slots and claim deadline, changed on its page."""
    actor = current_actor_or_none()

    def update():
        # Only the fields the form sent: an unticked box of the schema is not a change here.
        loaded = load_form(TaskUpdateSchema(), request.form)
        changes = {name: value for name, value in loaded.items() if name in request.form}
        return operations.update_task(actor=actor, task_id=task_id, changes=changes)

    page_action(
        update,
        done=_("已保存修改"),
    )
    return redirect(url_for("board_pages.task", task_id=task_id))


@bp.post("/tasks/<int:task_id>/<action>")
@login_required
def task_action(task_id: int, action: str):
    if action not in TASK_ACTIONS:
        abort(404)
    call, schema, done = TASK_ACTIONS[action]
    actor = current_actor_or_none()
    page_action(lambda: call(actor=actor, task_id=task_id, **_form(schema)), done=_(done))
    return redirect(url_for("board_pages.task", task_id=task_id))


@bp.get("/verify")
@login_required
def verification_queue():
    actor = current_actor_or_none()
    if not actor.can_somewhere("unit.read"):
        actor.require_somewhere("claims.verify")
    data = queries.verification_queue_page(actor, cursor=list_cursor(), per_page=LIST_PER_PAGE)
    return render_template(
        "board/verify.html",
        claims=claims_out(actor, data["items"], now=utcnow()),
        data=data,
        my_units=set(actor.unit_ids),
    )


@bp.get("/unit")
@login_required
def unit():
    """A unit admin's view: the unit's members and their service, and the unit's own claims."""
    actor = current_actor_or_none()
    units = queries.units_of(actor)
    if not units:
        abort(403)
    unit_ids = [u.id for u in units]
    members = queries.unit_members(unit_ids)
    service = queries.service_of_units(unit_ids, [m.id for m in members])
    return render_template(
        "board/unit.html",
        units=units,
        members=members,
        service=claims_out(actor, service, now=utcnow()),
        mask=mask_phone,
    )
