"""What the check-in pages share: their blueprint, the labels their templates read, private
answers for scan pages, QR images, and forms loaded by the API's schemas."""

from __future__ import annotations

from datetime import datetime

import marshmallow as ma
from flask import Blueprint, Response, render_template, request

from points.access import Actor
from points.checkin import queries
from points.checkin.models import Activity, CloseRule
from points.checkin.qr import qr_png, qr_svg
from points.checkin.transitions import check_in_refusal, check_out_refusal
from points.errors import DomainError, ValidationFailed
from points.ledger.models import Kind, TransferState
from points.web import load_form

bp = Blueprint("checkin_pages", __name__, template_folder="../templates")

LABELS = {
    "kind_names": Kind.titles(),
    "close_rule_names": CloseRule.titles(),
    "state_names": TransferState.titles(),
}
PER_PAGE = 30


def render(template: str, status: int = 200, **context) -> Response:
    return Response(render_template(template, **LABELS, **context), status=status, mimetype="text/html")


def private(response: Response) -> Response:
    """Scan pages hold one person's intent: never cached, never indexed, never leaked as a referrer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def posted(schema: ma.Schema) -> dict:
    """The posted form loaded by the API's schema. A form that does not load is refused with
    what is wrong with it, which the page shows as the flash (it has no form to show again)."""
    try:
        return load_form(schema, request.form)
    except ValidationFailed as exc:
        first = next(iter((exc.errors or {}).values()), [exc.source])
        raise ValidationFailed("validation_error", first[0], errors=exc.errors) from exc


def qr_image(url: str, fmt: str, name: str) -> Response:
    """A QR code of `url` as a PNG or SVG file (`fmt`), never cached."""
    if fmt == "png":
        response = Response(qr_png(url), mimetype="image/png")
    else:
        response = Response(qr_svg(url), mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = f'inline; filename="{name}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def desk_choice(
    actor: Actor, person_id: int, activity: Activity, now: datetime
) -> tuple[str | None, DomainError | None]:
    """What the desk may do for the person at the activity now ("in" or "out", by the transition
    table), and why nothing when it may do neither."""
    live = queries.open_checkin(activity.id, person_id)
    if live is not None:
        refusal = check_out_refusal(live, activity, now=now, staff=actor)
        return ("out" if refusal is None else None), refusal
    refusal = check_in_refusal(person_id, activity, now=now, staff=actor)
    return ("in" if refusal is None else None), refusal
