"""JSON endpoints of QR check-in: activities, the screen's current code, scanning, staff
check-in, attendance history, station keys and member cards.

`POST /scan` and staff check-ins move points at check-out. They take an optional
`Idempotency-Key`: with one, the ledger's contract applies (the first answer is stored
and replayed); without one they are still safe to repeat, because a person has at most
one open check-in per activity (a unique index) and a repeated scan within minutes is a
no-op, and the award's own key is `checkin:{id}:award`.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from points.access import Actor
from points.auth.current import current_actor, request_device
from points.checkin import operations, presenters, queries
from points.checkin.limits import SCAN_LIMITS
from points.checkin.qr import card_url, scan_url
from points.checkin.schemas import (
    ActivityCreateSchema,
    ActivityPageSchema,
    ActivityQuerySchema,
    ActivitySchema,
    CheckInPageSchema,
    HealthSchema,
    MemberCardSchema,
    ScanResultSchema,
    ScanSchema,
    StaffCheckInSchema,
    StationCodeSchema,
    StationKeySchema,
)
from points.db import utcnow
from points.endpoints import SECURED, action_route, paged, secured
from points.errors import problem_doc
from points.ledger.idempotency import HEADER, idempotent
from points.org.queries import get_station
from points.pagination import CursorArgsSchema, decode_cursor

blp = Blueprint(
    "checkin", __name__, url_prefix="/api/v1", description="QR check-in: activities, scans, attendance"
)
OPTIONAL_KEY = {
    "security": SECURED,
    "parameters": [
        {
            "in": "header",
            "name": HEADER,
            "required": False,
            "schema": {"type": "string", "maxLength": 128},
            "description": "Optional: with it, a retry replays the first answer; without it a repeat is a no-op anyway.",
        }
    ],
}


def optionally_idempotent(view):
    """The ledger's Idempotency-Key contract when the client sends a key; a plain call otherwise."""
    guarded = idempotent(view)

    @wraps(view)
    def wrapped(*args, **kwargs):
        if request.headers.get(HEADER, "").strip():
            return guarded(*args, **kwargs)
        return view(*args, **kwargs)

    return wrapped


def _result(result: operations.ScanResult, actor: Actor, *, person_name: str | None = None) -> dict:
    station = result.station or get_station(result.activity.station_id)
    now = utcnow()
    return {
        "outcome": result.outcome,
        "message": result.message,
        "checkin": presenters.checkin_item(
            result.checkin,
            activity=result.activity,
            station=station,
            person_name=person_name,
            actor=actor,
            now=now,
        ),
        "activity": presenters.activity_summary(result.activity, station, now, actor=actor),
    }


# --- activities -----------------------------------------------------------------------


@blp.route("/activities")
class Activities(MethodView):
    @secured(blp, 201, ActivitySchema, body=ActivityCreateSchema)
    def post(self, data):
        """Schedule an activity at a station (staff running the station)."""
        now, actor = utcnow(), current_actor()
        activity = operations.create_activity(actor=actor, now=now, **data)
        return presenters.activity_item(activity, now, actor=actor)

    @secured(blp, 200, ActivityPageSchema, query=ActivityQuerySchema)
    def get(self, args):
        """Activities at stations I run, and those of my own community; latest start first, paged
        by cursor (`next_cursor`, the `Link` header)."""
        now, actor = utcnow(), current_actor()
        stmt = queries.activities_stmt(
            actor,
            station_id=args.get("station_id"),
            community_id=args.get("community_id"),
            running_at=now if args.get("running") else None,
            start=args.get("start"),
            end=args.get("end"),
            include_cancelled=args["include_cancelled"],
        )
        page = queries.activities_page(
            stmt, cursor=decode_cursor(args.get("cursor")), per_page=args["per_page"]
        )
        page["items"] = [presenters.activity_item(a, now, actor=actor) for a in page["items"]]
        return paged(page)


@blp.route("/activities/<int:activity_id>")
class ActivityItem(MethodView):
    @secured(blp, 200, ActivitySchema)
    def get(self, activity_id):
        """One activity: staff of its station, or people of its community."""
        actor = current_actor()
        return presenters.activity_item(queries.visible_activity(actor, activity_id), utcnow(), actor=actor)


def _activity_action(name: str, endpoint: str, doc: str, call):
    """POST /activities/<id>/<name>: one operation on the activity, answered with the activity."""

    class ActivityAction(MethodView):
        @secured(blp, 200, ActivitySchema)
        def post(self, activity_id):
            now, actor = utcnow(), current_actor()
            return presenters.activity_item(
                call(actor=actor, activity_id=activity_id, now=now), now, actor=actor
            )

    return action_route(blp, f"/activities/<int:activity_id>/{name}", endpoint, ActivityAction, doc)


_activity_action(
    "end",
    "ActivityEnd",
    "End a running activity now; open check-ins close by the configured rule after the grace period.",
    operations.end_activity,
)
_activity_action(
    "cancel", "ActivityCancel", "Call off an activity nobody has checked in to.", operations.cancel_activity
)
_activity_action(
    "confirm-rate",
    "ActivityConfirmRate",
    "A second staff member confirms the hourly rate, so self-scanned stays may post without approval.",
    operations.confirm_activity_rate,
)


@blp.route("/activities/<int:activity_id>/token")
class ActivityToken(MethodView):
    @secured(
        blp,
        200,
        StationCodeSchema,
        parameters=[{"in": "query", "name": "poster", "schema": {"type": "boolean"}}],
    )
    def get(self, activity_id):
        """The code the station screen shows now (it changes every window), or the poster's static code
        with `?poster=true`, with the scan URL and the live count."""
        poster = request.args.get("poster", "").lower() in ("1", "true", "yes")
        code = operations.station_code(actor=current_actor(), activity_id=activity_id, poster=poster)
        return {
            "token": code.token,
            "url": scan_url(code.token),
            "window": code.window,
            "rotates_at": code.rotates_at,
            "valid_until": code.valid_until,
            "window_seconds": current_app.config["CHECKIN_WINDOW_SECONDS"],
            **queries.activity_counts(activity_id),
        }


@blp.route("/activities/<int:activity_id>/checkins")
class ActivityCheckIns(MethodView):
    @secured(blp, 200, CheckInPageSchema, query=CursorArgsSchema)
    def get(self, args, activity_id):
        """Who checked in to the activity, newest first (staff running the station)."""
        actor = current_actor()
        queries.managed_activity(actor, activity_id)
        return _checkin_page(args, actor, activity_id=activity_id)

    @optionally_idempotent
    @blp.doc(**OPTIONAL_KEY)
    @blp.arguments(StaffCheckInSchema)
    @blp.response(200, ScanResultSchema)
    def post(self, data, activity_id):
        """Check a person in or out for them (by member card or person id); the award, if any,
        waits for someone else's approval."""
        actor = current_actor()
        result = operations.staff_check_in(
            actor=actor,
            activity_id=activity_id,
            person_id=data.get("person_id"),
            card=data.get("card"),
            action=data.get("action"),
        )
        return _result(result, actor)


def _checkin_page(args, actor: Actor, **whose):
    """Check-ins newest first, paged by cursor (`next_cursor`, the `Link` header)."""
    cursor = decode_cursor(args.get("cursor"))
    page = queries.checkins_page(cursor=cursor, per_page=args["per_page"], **whose)
    page["items"] = presenters.checkin_items(page["items"], actor=actor)
    return paged(page)


# --- scanning -------------------------------------------------------------------------


@blp.route("/scan")
class Scan(MethodView):
    decorators = SCAN_LIMITS

    @optionally_idempotent
    @blp.doc(**OPTIONAL_KEY)
    @blp.arguments(ScanSchema)
    @blp.response(200, ScanResultSchema)
    @blp.alt_response(410, **problem_doc("qr_expired, qr_revoked"))
    @blp.alt_response(400, **problem_doc("qr_invalid"))
    @blp.alt_response(409, **problem_doc("activity_not_started, activity_ended, activity_cancelled"))
    def post(self, data):
        """I scanned a station's code (the mini-program reads it and sends the token): check in, or
        out when I am in. A repeat within minutes is a no-op (`already_in`, `already_out`)."""
        actor = current_actor()
        result = operations.scan_code(
            actor=actor,
            token=data["token"],
            action=data["action"],
            device=operations.Device(*request_device()),
        )
        return _result(result, actor, person_name=actor.name)


# --- attendance history ---------------------------------------------------------------


@blp.route("/me/checkins")
class MyCheckIns(MethodView):
    @secured(blp, 200, CheckInPageSchema, query=CursorArgsSchema)
    def get(self, args):
        """My attendance history, newest first, with durations, points and how each check-in closed."""
        actor = current_actor()
        return _checkin_page(args, actor, person_id=actor.person_id)


@blp.route("/people/<int:person_id>/checkins")
class PersonCheckIns(MethodView):
    @secured(blp, 200, CheckInPageSchema, query=CursorArgsSchema)
    def get(self, args, person_id):
        """A person's attendance history (themselves, or people and ledger readers in scope)."""
        actor = current_actor()
        queries.check_history_reader(actor, person_id)
        return _checkin_page(args, actor, person_id=person_id)


# --- station keys and member cards ----------------------------------------------------


@blp.route("/stations/<int:station_id>/rotate-key")
class StationKeyRotate(MethodView):
    @secured(blp, 200, StationKeySchema)
    def post(self, station_id):
        """Give the station a new signing key: every code it showed or printed stops working."""
        return operations.rotate_station_key(actor=current_actor(), station_id=station_id)


def _card(actor: Actor, person_id: int) -> dict:
    person, card = operations.member_card_for(actor=actor, person_id=person_id)
    token = operations.card_token(card)
    return {
        "person_id": person.id,
        "name": person.name,
        "serial": card.serial,
        "issued_at": card.issued_at,
        "token": token,
        "url": card_url(token),
    }


@blp.route("/me/card")
class MyCard(MethodView):
    @secured(blp, 200, MemberCardSchema)
    def get(self):
        """My member card's code, for staff to scan when I have no phone with me."""
        actor = current_actor()
        return _card(actor, actor.person_id)


@blp.route("/people/<int:person_id>/card")
class PersonCard(MethodView):
    @secured(blp, 200, MemberCardSchema)
    def get(self, person_id):
        """A person's member card (themselves, or people managers in scope)."""
        return _card(current_actor(), person_id)


@blp.route("/people/<int:person_id>/card/reissue")
class PersonCardReissue(MethodView):
    @secured(blp, 200, MemberCardSchema)
    def post(self, person_id):
        """Replace a lost card: the old card stops working."""
        actor = current_actor()
        operations.reissue_member_card(actor=actor, person_id=person_id)
        return _card(actor, person_id)


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    def get(self):
        """Liveness: answers without touching the database."""
        return {"status": "ok"}
