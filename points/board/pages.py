"""Board pages: the board, a task, my claims, asking for help; for staff posting, dispatching,
demand triage and the verification queue; for unit admins their confirmations and members."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlmodel import select

from points.auth.current import current_actor_or_none, login_required
from points.board import operations, queries
from points.board.api import claims_out, demands_out, tasks_out
from points.board.models import (
    CATEGORIES,
    CLAIM_STATE_NAMES,
    DEMAND_STATE_NAMES,
    ELIGIBILITY_NAMES,
    TASK_STATE_NAMES,
    Claim,
    Task,
)
from points.db import LOCAL_TZ, session, utcnow
from points.errors import DomainError, Forbidden
from points.extensions import limiter
from points.labels import N_
from points.org.models import OrgNode, Station, Unit
from points.people.models import Person
from points.people.queries import find_person_by_phone, home_path, mask_phone
from points.validation import local_datetime
from points.web import safe_local_path

bp = Blueprint("board_pages", __name__, template_folder="templates")

NAMES = {
    "categories": CATEGORIES,
    "eligibility_names": ELIGIBILITY_NAMES,
    "task_state_names": TASK_STATE_NAMES,
    "claim_state_names": CLAIM_STATE_NAMES,
    "demand_state_names": DEMAND_STATE_NAMES,
    "award_state_names": {"pending": "待审批", "posted": "已入账", "voided": "已驳回", "reversed": "已冲正"},
    "kind_names": {"hongsong": "红松分", "xingan": "兴安分"},
}


def _render(template: str, status: int = 200, **context):
    return render_template(template, **NAMES, **context), status


def _attempt(call, done: str) -> bool:
    """Run one operation for a button; a refusal is flashed and changes nothing."""
    try:
        call()
    except DomainError as exc:
        session().rollback()
        flash(_(exc.message) if exc.message else _("操作失败"), "error")
        return False
    session().commit()
    flash(done)
    return True


def _back(default: str):
    return redirect(safe_local_path(request.form.get("back"), default))


def _local_time(value: str, field: str, errors: dict) -> datetime | None:
    """A `datetime-local` field, read in the community's time zone."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return local_datetime(value, LOCAL_TZ)
    except ValidationError as exc:
        errors[field] = [_(exc.messages[0])]
        return None


def _int(value: str, field: str, errors: dict, *, default: int | None = None) -> int | None:
    value = (value or "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        errors[field] = [_("应为整数")]
        return None
    if abs(number) > 10**9:
        errors[field] = [_("数值过大")]
        return None
    return number


def _task_form(form) -> tuple[dict, dict]:
    """The task fields of a submitted form, with per-field errors for what cannot be read."""
    errors: dict[str, list[str]] = {}
    values = {
        "title": form.get("title", ""),
        "description": form.get("description", ""),
        "category": form.get("category", ""),
        "place": form.get("place", ""),
        "station_id": _int(form.get("station_id"), "station_id", errors),
        "starts_at": _local_time(form.get("starts_at"), "starts_at", errors),
        "ends_at": _local_time(form.get("ends_at"), "ends_at", errors),
        "claim_deadline": _local_time(form.get("claim_deadline"), "claim_deadline", errors),
        "slots": _int(form.get("slots"), "slots", errors),
        "eligibility": form.get("eligibility", ""),
        "reward_hongsong": _int(form.get("reward_hongsong"), "reward_hongsong", errors, default=0),
        "reward_xingan": _int(form.get("reward_xingan"), "reward_xingan", errors, default=0),
        "requires_checkin": form.get("requires_checkin") == "1",
        "requires_unit_confirm": form.get("requires_unit_confirm") == "1",
        "allows_walk_in": form.get("allows_walk_in") == "1",
    }
    for field in ("starts_at", "ends_at", "slots"):
        if values[field] is None and field not in errors:
            errors[field] = [_("必填")]
    return values, errors


def _staff_communities(actor) -> list[OrgNode]:
    stmt = select(OrgNode).where(
        OrgNode.level == "community", actor.scope_filter("tasks.manage", OrgNode.path)
    )
    return list(session().exec(stmt.order_by(OrgNode.path)))


def _stations(communities: list[OrgNode]) -> list[tuple[Station, OrgNode]]:
    rows = []
    for community in communities:
        stmt = (
            select(Station, OrgNode)
            .join(OrgNode, OrgNode.id == Station.node_id)
            .where(OrgNode.path.startswith(community.path), Station.is_active.is_(True))
        )
        rows.extend(session().exec(stmt).all())
    return rows


# --- residents and party members ------------------------------------------------------------


@bp.get("/board")
@login_required
def board():
    actor = current_actor_or_none()
    category = request.args.get("category") if request.args.get("category") in CATEGORIES else None
    only_claimable = request.args.get("claimable") == "1"
    stmt = queries.board_stmt(
        actor, now=utcnow(), category=category, claimable=True if only_claimable else None
    ).limit(100)
    rows = tasks_out(actor, session().exec(stmt).all())
    return _render("board/board.html", tasks=rows, category=category, only_claimable=only_claimable)


@bp.get("/tasks/<int:task_id>")
@login_required
def task(task_id: int):
    actor = current_actor_or_none()
    row = tasks_out(actor, [queries.task_row(actor, task_id, now=utcnow())])[0]
    task = session().get(Task, task_id)
    community = session().get(OrgNode, task.community_id)
    station = session().get(Station, task.station_id) if task.station_id else None
    mine = claims_out(
        session().exec(queries.my_claims_stmt(actor).where(Claim.task_id == task_id).limit(10)).all()
    )
    manages = actor.can("tasks.manage", community.path)
    claims = claims_out(session().exec(queries.task_claims_stmt(task_id)).all()) if manages else []
    units = session().exec(select(Unit).where(Unit.id.in_(actor.unit_ids or [-1]))).all()
    return _render(
        "board/task.html",
        task=row,
        community=community,
        station=station,
        mine=mine,
        manages=manages,
        claims=claims,
        units=units,
        now=utcnow(),
    )


@bp.post("/tasks/<int:task_id>/claim")
@login_required
def claim(task_id: int):
    actor = current_actor_or_none()
    unit_id = request.form.get("unit_id", type=int)
    _attempt(
        lambda: operations.claim_task(actor=actor, task_id=task_id, unit_id=unit_id),
        _("揭榜成功，请按时参加"),
    )
    return redirect(url_for("board_pages.task", task_id=task_id))


# The confirmations are translated when flashed, in the language of that request.
CLAIM_ACTIONS = {
    "accept": (operations.accept_dispatch, (), N_("已接单")),
    "decline": (operations.decline_dispatch, ("reason",), N_("已拒绝派单")),
    "withdraw": (operations.withdraw_claim, ("reason",), N_("已退出，名额已释放")),
    "submit": (operations.submit_claim, ("note",), N_("已提交，等待验收")),
    "verify": (operations.verify_claim, (), N_("已验收")),
    "reject": (operations.reject_claim, ("reason",), N_("已驳回")),
    "no-show": (operations.mark_no_show, (), N_("已标记未到场")),
}


@bp.post("/claims/<int:claim_id>/<action>")
@login_required
def claim_action(claim_id: int, action: str):
    if action not in CLAIM_ACTIONS:
        abort(404)
    call, fields, done = CLAIM_ACTIONS[action]
    actor = current_actor_or_none()
    texts = {field: request.form.get(field, "") for field in fields}
    _attempt(lambda: call(actor=actor, claim_id=claim_id, **texts), _(done))
    return _back(url_for("board_pages.my_claims"))


@bp.get("/my/claims")
@login_required
def my_claims():
    actor = current_actor_or_none()
    state = request.args.get("state") if request.args.get("state") in CLAIM_STATE_NAMES else None
    rows = claims_out(session().exec(queries.my_claims_stmt(actor, state=state).limit(200)).all())
    return _render("board/my_claims.html", claims=rows, state=state)


def _help_rate_key() -> str:
    try:
        actor = current_actor_or_none()
    except DomainError:
        actor = None
    return f"help:{actor.person_id}" if actor is not None else f"help-address:{request.remote_addr}"


@bp.route("/help", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["HELP_RATE_LIMIT"], key_func=_help_rate_key, methods=["POST"])
@login_required
def ask_for_help():
    actor = current_actor_or_none()
    form, errors, message, status = {}, {}, None, 200
    if request.method == "POST":
        form = request.form.to_dict()
        try:
            operations.request_help(
                actor=actor,
                category=form.get("category", ""),
                details=form.get("details", ""),
                place=form.get("place", ""),
                preferred_time=form.get("preferred_time", ""),
                requester_id=_requester_for(actor, form.get("requester_phone", "")),
            )
        except DomainError as exc:
            session().rollback()
            errors, message, status = exc.errors or {}, exc.translated(), exc.status
        else:
            session().commit()
            flash(_("需求已提交，社区会尽快处理"))
            return redirect(url_for("board_pages.ask_for_help"))
    demands = demands_out(session().exec(queries.demands_stmt(actor, mine=True).limit(50)).all())
    return _render(
        "board/help.html",
        status=status,
        form=form,
        errors=errors,
        message=message,
        demands=demands,
        for_others=actor.can_somewhere("help.request_for"),
    )


def _requester_for(actor, phone: str) -> int | None:
    """Grid workers and staff ask for a resident of their scope by phone. Whether the phone
    belongs to anyone outside that scope is not told: unknown and out of scope read alike."""
    phone = phone.strip()
    if not phone:
        return None
    if not actor.can_somewhere("help.request_for"):
        raise Forbidden("forbidden", "只有网格员和社区工作人员可以代居民点单")
    person = find_person_by_phone(phone)
    if person is None or not actor.can("help.request_for", home_path(person)):
        raise DomainError(
            "person_not_found",
            "您负责的范围内没有这个手机号的居民",
            422,
            errors={"requester_phone": ["未找到"]},
        )
    return person.id


@bp.post("/demands/<int:demand_id>/rate")
@login_required
def rate(demand_id: int):
    actor = current_actor_or_none()
    errors: dict = {}
    rating = _int(request.form.get("rating"), "rating", errors)
    if rating is None:
        flash(_("请选择 1 到 5 分"), "error")
    else:
        _attempt(
            lambda: operations.rate_demand(
                actor=actor, demand_id=demand_id, rating=rating, comment=request.form.get("comment", "")
            ),
            _("谢谢您的评价"),
        )
    return redirect(url_for("board_pages.ask_for_help"))


@bp.post("/demands/<int:demand_id>/withdraw")
@login_required
def withdraw_demand(demand_id: int):
    actor = current_actor_or_none()
    _attempt(lambda: operations.withdraw_demand(actor=actor, demand_id=demand_id), _("需求已撤回"))
    return redirect(url_for("board_pages.ask_for_help"))


# --- staff ---------------------------------------------------------------------------------


def _task_form_page(*, form: dict, errors: dict, message: str | None, status: int, demand=None):
    actor = current_actor_or_none()
    communities = _staff_communities(actor)
    if not communities:
        abort(403)
    return _render(
        "board/task_form.html",
        status=status,
        form=form,
        errors=errors,
        message=message,
        communities=communities,
        stations=_stations(communities),
        demand=demand,
    )


@bp.route("/tasks/new", methods=["GET", "POST"])
@login_required
def new_task():
    actor = current_actor_or_none()
    demand_id = request.values.get("demand_id", type=int)
    demand = queries.visible_demand(actor, demand_id) if demand_id else None
    if request.method == "GET":
        form = {"slots": "1", "eligibility": "anyone", "category": demand.category if demand else ""}
        if demand:
            form["community_id"] = str(demand.community_id)
            form["description"] = demand.details
            form["place"] = demand.place
        return _task_form_page(form=form, errors={}, message=None, status=200, demand=demand)
    form = request.form.to_dict()
    values, errors = _task_form(request.form)
    post = request.form.get("post") == "1"
    if errors:
        return _task_form_page(
            form=form, errors=errors, message=_("请检查标出的项目"), status=422, demand=demand
        )
    dispatch_phone = form.get("dispatch_phone", "").strip()
    try:
        if demand is not None:
            dispatch = _requester_for(dispatch_phone) if dispatch_phone else None
            task = operations.accept_demand(
                actor=actor, demand_id=demand.id, task=values, dispatch_person_id=dispatch
            )
        else:
            community_id = _int(form.get("community_id"), "community_id", errors)
            if community_id is None:
                raise DomainError("invalid_task", "请选择社区", 422, errors={"community_id": ["必填"]})
            task = operations.create_task(actor=actor, community_id=community_id, post=post, **values)
    except DomainError as exc:
        session().rollback()
        return _task_form_page(
            form=form, errors=exc.errors or {}, message=_(exc.message), status=422, demand=demand
        )
    session().commit()
    flash(_("任务已张榜") if task.state == "posted" else _("草稿已保存"))
    return redirect(url_for("board_pages.task", task_id=task.id))


TASK_ACTIONS = {
    "post": (operations.post_task, N_("任务已张榜")),
    "close": (operations.close_task, N_("任务已截止报名")),
    "complete": (operations.complete_task, N_("任务已完成")),
}


@bp.post("/tasks/<int:task_id>/<action>")
@login_required
def task_action(task_id: int, action: str):
    actor = current_actor_or_none()
    back = url_for("board_pages.task", task_id=task_id)
    if action == "cancel":
        _attempt(
            lambda: operations.cancel_task(
                actor=actor, task_id=task_id, reason=request.form.get("reason", "")
            ),
            _("任务已取消，名额已释放，待审批积分已作废"),
        )
    elif action == "dispatch":
        phone, unit_id = request.form.get("phone", "").strip(), request.form.get("unit_id", type=int)

        def dispatch():
            person_id = _requester_for(phone) if phone else None
            operations.dispatch_task(actor=actor, task_id=task_id, person_id=person_id, unit_id=unit_id)

        _attempt(dispatch, _("已派单，等待对方接单"))
    elif action in TASK_ACTIONS:
        call, done = TASK_ACTIONS[action]
        _attempt(lambda: call(actor=actor, task_id=task_id), _(done))
    else:
        abort(404)
    return redirect(back)


@bp.get("/triage")
@login_required
def triage():
    actor = current_actor_or_none()
    actor.require_somewhere("demands.triage")
    state = request.args.get("state", "open")
    if state not in DEMAND_STATE_NAMES:
        state = "open"
    stmt = queries.demands_stmt(actor, state=state).where(actor.scope_filter("demands.triage", OrgNode.path))
    rows = demands_out(session().exec(stmt.limit(200)).all())
    return _render("board/triage.html", demands=rows, state=state)


@bp.get("/demands/<int:demand_id>")
@login_required
def demand(demand_id: int):
    actor = current_actor_or_none()
    found = queries.visible_demand(actor, demand_id)
    path = session().get(OrgNode, found.community_id).path
    triages = actor.can("demands.triage", path)
    project = queries.project_of_demand(demand_id)
    return _render(
        "board/demand.html",
        demand=demands_out([found])[0],
        triages=triages,
        suggestions=queries.describe_resources(queries.suggestions_for(found))
        if triages and not project
        else [],
        project=project,
        project_resources=queries.describe_resources(queries.project_resources(project.id))
        if project
        else [],
        requester=session().get(Person, found.requester_id),
        mask=mask_phone,
    )


@bp.post("/demands/<int:demand_id>/decline")
@login_required
def decline_demand(demand_id: int):
    actor = current_actor_or_none()
    _attempt(
        lambda: operations.decline_demand(
            actor=actor, demand_id=demand_id, reason=request.form.get("reason", "")
        ),
        _("已回复居民：不予受理"),
    )
    return redirect(url_for("board_pages.triage"))


@bp.post("/demands/<int:demand_id>/project")
@login_required
def confirm_project(demand_id: int):
    actor = current_actor_or_none()
    ids = [int(v) for v in request.form.getlist("resource_ids") if v.isdigit()]
    _attempt(
        lambda: operations.create_project(
            actor=actor, demand_id=demand_id, resource_ids=ids, title=request.form.get("title", "")
        ),
        _("已确认项目"),
    )
    return redirect(url_for("board_pages.demand", demand_id=demand_id))


@bp.get("/verify")
@login_required
def verification_queue():
    actor = current_actor_or_none()
    if not actor.can_somewhere("unit.read"):
        actor.require_somewhere("claims.verify")
    rows = claims_out(session().exec(queries.verification_queue_stmt(actor).limit(200)).all())
    units = set(actor.unit_ids)
    return _render("board/verify.html", claims=rows, my_units=units)


@bp.get("/unit")
@login_required
def unit():
    """A unit admin's view: the unit's members and their service, and the unit's own claims."""
    actor = current_actor_or_none()
    unit_ids = actor.unit_ids
    if not unit_ids:
        abort(403)
    units = session().exec(select(Unit).where(Unit.id.in_(unit_ids)).order_by(Unit.id)).all()
    members = (
        session()
        .exec(select(Person).where(Person.work_unit_id.in_(unit_ids)).order_by(Person.name).limit(500))
        .all()
    )
    service = claims_out(
        session()
        .exec(
            select(Claim)
            .where((Claim.unit_id.in_(unit_ids)) | (Claim.person_id.in_([m.id for m in members] or [-1])))
            .order_by(Claim.updated_at.desc())
            .limit(200)
        )
        .all()
    )
    return _render("board/unit.html", units=units, members=members, service=service, mask=mask_phone)
