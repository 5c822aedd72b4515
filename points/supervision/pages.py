"""Pages of anomaly flags: the list by detector, community and state, one flag with its
evidence, and the supervisor's explain / escalate forms."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from points.auth.current import current_actor_or_none, login_required
from points.errors import Forbidden, ValidationFailed
from points.i18n import translate
from points.labels import N_
from points.org.queries import community_names
from points.supervision import operations, presenters, queries
from points.supervision.models import Detector, FlagState
from points.supervision.schemas import DecisionSchema, FlagQuerySchema
from points.supervision.transitions import TRANSITIONS, allowed_actions, flag_refusal, visibility_refusal
from points.web import field_limits, list_cursor, load_form, page_action

bp = Blueprint("supervision_pages", __name__, template_folder="templates")

PAGE_SIZE = 30


def _reader():
    actor = current_actor_or_none()
    if not actor.can_somewhere("flags.read"):
        raise Forbidden("forbidden", "只有工作人员和监督小组可以查看异常提示")
    return actor


def _filters() -> tuple[dict, dict]:
    """The list's filters; the cursor and page size are the page's own (a bad cursor reads as
    the first page, as on every list page)."""
    args = request.args.copy()
    for name in ("cursor", "page", "per_page"):
        args.pop(name, None)
    try:
        return load_form(FlagQuerySchema(), args), {}
    except ValidationFailed as exc:
        return {}, exc.errors or {}


@bp.get("/flags")
@login_required
def flags():
    """异常提示: flags within the reader's scope, never those about the reader."""
    actor = _reader()
    filters, errors = _filters()
    found = queries.flags_page(
        queries.flags_stmt(
            actor,
            detector=filters.get("detector"),
            community_id=filters.get("community_id"),
            state=filters.get("state"),
        ),
        cursor=list_cursor(),
        per_page=PAGE_SIZE,
    )
    rows = found["items"]
    people, names = queries.names_for(rows)
    communities = community_names(queries.flag_communities(actor))
    return render_template(
        "supervision/flags.html",
        found=found,
        rows=rows,
        summaries={f.id: presenters.summary(f, translate) for f in rows},
        people=people,
        names={**communities, **names},
        communities=communities,
        open_counts=queries.open_counts(actor),
        detectors=Detector.titles(),
        states=FlagState.titles(),
        args=request.args,
        errors=errors,
    ), (422 if errors else 200)


@bp.get("/flags/<int:flag_id>")
@login_required
def flag(flag_id: int):
    return _flag_page(current_actor_or_none(), queries.get_flag(flag_id))


def _flag_page(actor, row, *, errors: dict | None = None, typed: str = "", action: str | None = None) -> str:
    """One flag's page; after a refused form, with its field errors and what was typed."""
    refusal = visibility_refusal(actor, row)
    if refusal is not None:
        raise refusal
    people, names = queries.names_for([row])
    allowed = allowed_actions(actor, row)
    return render_template(
        "supervision/flag.html",
        flag=row,
        summary=presenters.summary(row, translate),
        lines=presenters.evidence_lines(actor, row, translate),
        people=people,
        community=names.get(row.community_id, ""),
        detectors=Detector.titles(),
        states=FlagState.titles(),
        allowed=allowed,
        # Why no button shows, for a reader who could decide some flags but not this one.
        why_not=_why_not(actor, row) if not allowed and _decides_somewhere(actor) else None,
        note_limits=field_limits(DecisionSchema(), "note"),
        errors=errors or {},
        typed=typed,
        posted=action,
    )


def _decides_somewhere(actor) -> bool:
    return actor.can_somewhere("flags.decide") or actor.can_somewhere("flags.answer")


def _why_not(actor, row) -> str | None:
    """Why no action is offered: the state (already decided) before a role the reader lacks."""
    refusals = [flag_refusal(actor, row, action) for action in TRANSITIONS]
    if any(refusal is None for refusal in refusals):
        return None
    refusals.sort(key=lambda refusal: refusal.status == 403)
    return refusals[0].translated()


NOTE_REQUIRED = N_("请写明说明或上报的理由")
DONE = {
    "explain": N_("已标记为已说明"),
    "escalate": N_("已上报街道管理员"),
    "answer": N_("已记录街道的答复"),
}


@bp.post("/flags/<int:flag_id>/<any(explain, escalate, answer):action>")
@login_required
def decide(flag_id: int, action: str):
    actor = current_actor_or_none()
    typed = request.form.get("note", "")
    try:
        note = load_form(DecisionSchema(), request.form)["note"]
    except ValidationFailed as exc:
        errors = exc.errors or {}
        if not typed.strip():
            errors = {**errors, "note": [NOTE_REQUIRED]}
        return _flag_page(actor, queries.get_flag(flag_id), errors=errors, typed=typed, action=action), 422
    page_action(
        lambda: operations.decide_flag(actor=actor, flag_id=flag_id, action=action, note=note),
        done=_(DONE[action]),
    )
    return redirect(url_for(".flag", flag_id=flag_id))
