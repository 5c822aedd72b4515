"""Demand pages: asking for help and following it (withdraw, rate); for staff triage, a demand
with its suggested resources and project, and accepting a demand as a task.

Forms are loaded by the API's schemas, each page's one change runs through `page_action`, and
the buttons shown are the actions the demand table allows (`allowed_actions`).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from points import photos
from points.auth.current import current_actor_or_none, login_required
from points.board.forms import form_action, limits_of
from points.board.presenters import names as board_names
from points.board.presenters import task_form_context
from points.board.schemas import ReasonSchema
from points.demands import operations, queries
from points.demands.models import PHOTOS, DemandState
from points.demands.presenters import demand_out, demands_out, names
from points.demands.schemas import DemandAcceptSchema, DemandCreateSchema, ProjectCreateSchema, RateSchema
from points.errors import DomainError
from points.extensions import limiter
from points.people.queries import mask_phone
from points.web import field_limits, load_form, page_action

bp = Blueprint("demands_pages", __name__, template_folder="templates")


@bp.context_processor
def _names() -> dict:
    return board_names() | names() | {"reason_limits": field_limits(ReasonSchema(), "reason")}


# --- residents -------------------------------------------------------------------------------


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
    form, refusal = MultiDict(), None
    if request.method == "POST":
        form = request.form
        _demand, refusal = form_action(
            lambda: operations.request_help(
                actor=actor, photo=_uploaded_photo(), **load_form(DemandCreateSchema(), request.form)
            ),
            done=_("需求已提交，社区会尽快处理"),
        )
        if refusal is None:
            return redirect(url_for("demands_pages.ask_for_help"))
    mine = queries.first_demands(queries.demands_stmt(actor, mine=True), 50)
    html = render_template(
        "demands/help.html",
        form=form,
        errors=(refusal.errors or {}) if refusal else {},
        demands=demands_out(actor, mine),
        for_others=actor.can_somewhere("help.request_for"),
        limits=limits_of(DemandCreateSchema()),
        rate_limits=limits_of(RateSchema()),
        photo_mb=f"{current_app.config['PHOTO_MAX_BYTES'] / 1024 / 1024:g}",
    )
    return html, refusal.status if refusal else 200


# A demand may carry a photo (points.errors reads the mark).
ask_for_help.takes_upload = True


def _uploaded_photo() -> bytes | None:
    """The photo the form carries, if one was chosen (an empty file input sends no name)."""
    upload = request.files.get("photo")
    return upload.read() if upload is not None and upload.filename else None


@bp.get("/demands/<int:demand_id>/photo")
@login_required
def photo(demand_id: int):
    """A demand's photo, for whoever may read the demand (its requester, who asked for them,
    staff over it); anyone else finds nothing."""
    demand = queries.visible_demand(current_actor_or_none(), demand_id)
    path = photos.photo_path(PHOTOS, demand.photo or "")
    if path is None:
        abort(404)
    return send_file(path, mimetype=photos.MIMETYPE, max_age=0)


def _form_action(demand_id: int, call, schema, *, done: str, to: str):
    """A demand's form loaded through `schema` into one operation; flashed, then on to `to`."""
    actor = current_actor_or_none()
    page_action(lambda: call(actor=actor, demand_id=demand_id, **load_form(schema, request.form)), done=done)
    return redirect(to)


@bp.post("/demands/<int:demand_id>/rate")
@login_required
def rate(demand_id: int):
    return _form_action(
        demand_id,
        operations.rate_demand,
        RateSchema(),
        done=_("谢谢您的评价"),
        to=url_for("demands_pages.ask_for_help"),
    )


@bp.post("/demands/<int:demand_id>/withdraw")
@login_required
def withdraw_demand(demand_id: int):
    actor = current_actor_or_none()
    page_action(lambda: operations.withdraw_demand(actor=actor, demand_id=demand_id), done=_("需求已撤回"))
    return redirect(url_for("demands_pages.ask_for_help"))


# --- staff ---------------------------------------------------------------------------------


@bp.get("/triage")
@login_required
def triage():
    actor = current_actor_or_none()
    actor.require_somewhere("demands.triage")
    state = request.args.get("state", "open")
    if state not in DemandState.values():
        state = "open"
    rows = queries.first_demands(queries.demands_stmt(actor, triage=True, state=state))
    return render_template("demands/triage.html", demands=demands_out(actor, rows), state=state)


@bp.get("/demands/<int:demand_id>")
@login_required
def demand(demand_id: int):
    actor = current_actor_or_none()
    found = queries.visible_demand(actor, demand_id)
    shown = demand_out(actor, found)
    project = queries.project_of_demand(demand_id)
    matching = "project" in shown["allowed_actions"]
    return render_template(
        "demands/demand.html",
        demand=shown,
        suggestions=queries.describe_resources(queries.suggestions_for(found)) if matching else [],
        project=project,
        project_resources=queries.describe_resources(queries.project_resources(project.id))
        if project
        else [],
        requester=queries.requester_of(found),
        mask=mask_phone,
        project_limits=limits_of(ProjectCreateSchema()),
    )


@bp.post("/demands/<int:demand_id>/decline")
@login_required
def decline_demand(demand_id: int):
    return _form_action(
        demand_id,
        operations.decline_demand,
        ReasonSchema(),
        done=_("已回复居民：不予受理"),
        to=url_for("demands_pages.triage"),
    )


@bp.post("/demands/<int:demand_id>/project")
@login_required
def confirm_project(demand_id: int):
    return _form_action(
        demand_id,
        operations.create_project,
        ProjectCreateSchema(exclude=("demand_id",)),
        done=_("已确认项目"),
        to=url_for("demands_pages.demand", demand_id=demand_id),
    )


def demand_title(details: str, length: int = 20) -> str:
    """A task's title drawn from what the resident asked: its first line, cut to `length`."""
    first = details.strip().splitlines()[0] if details.strip() else ""
    return first if len(first) <= length else first[: length - 1] + "…"


def _accept_form_page(demand, *, form, refusal=None):
    context = task_form_context(current_actor_or_none())
    if context is None:
        abort(403)
    html = render_template(
        "board/task_form.html",
        form=form,
        errors=(refusal.errors or {}) if refusal else {},
        demand=demand,
        limits=limits_of(DemandAcceptSchema()),
        **context,
    )
    return html, refusal.status if refusal else 200


@bp.route("/demands/<int:demand_id>/accept", methods=["GET", "POST"])
@login_required
def accept_demand(demand_id: int):
    """受理并张榜: the task form, filled in from the demand; posting it accepts the demand."""
    actor = current_actor_or_none()
    demand = queries.visible_demand(actor, demand_id)
    if request.method == "GET":
        form = {"slots": "1", "eligibility": "anyone", "category": demand.category}
        form |= {"title": demand_title(demand.details), "description": demand.details, "place": demand.place}
        return _accept_form_page(demand, form=form)

    def accept():
        data = load_form(DemandAcceptSchema(), request.form)
        dispatch = {
            k: data.pop(k) for k in ("dispatch_person_id", "dispatch_unit_id", "dispatch_phone") if k in data
        }
        return operations.accept_demand(actor=actor, demand_id=demand.id, task=data, **dispatch)

    task, refusal = form_action(accept, done=_("任务已张榜"))
    if refusal is not None:
        return _accept_form_page(demand, form=request.form, refusal=refusal)
    return redirect(url_for("board_pages.task", task_id=task.id))
