"""Member cards: my card, a person's card and its images, reissuing, batch printing for a
community, and the page a staff phone opens on scanning a card."""

from __future__ import annotations

from datetime import datetime

from flask import abort, redirect, request, url_for
from flask_babel import gettext as _

from points.auth.current import current_actor_or_none, login_required
from points.checkin import operations, queries
from points.checkin.models import Activity
from points.checkin.pages.base import bp, desk_choice, private, qr_image, render
from points.checkin.qr import card_url, qr_svg
from points.db import session, utcnow
from points.errors import DomainError, Forbidden
from points.org.queries import get_node, get_station, station_path
from points.people.models import Person
from points.people.queries import get_person, mask_phone
from points.web import page_action


def _card_context(person: Person, card) -> dict:
    url = card_url(operations.card_token(card))
    return {"person": person, "card": card, "url": url, "svg": qr_svg(url, label=_("会员卡二维码"))}


@bp.get("/card")
@login_required
def my_card():
    actor = current_actor_or_none()
    person, card = operations.member_card_for(actor=actor, person_id=actor.person_id)
    return render("checkin/cards.html", cards=[_card_context(person, card)], single=True)


@bp.get("/checkin/cards/<int:person_id>")
@login_required
def person_card(person_id: int):
    person, card = operations.member_card_for(actor=current_actor_or_none(), person_id=person_id)
    return render("checkin/cards.html", cards=[_card_context(person, card)], single=True)


@bp.get("/checkin/cards/<int:person_id>.<fmt>")
@login_required
def person_card_image(person_id: int, fmt: str):
    if fmt not in ("png", "svg"):
        abort(404)
    person, card = operations.member_card_for(actor=current_actor_or_none(), person_id=person_id)
    return qr_image(card_url(operations.card_token(card)), fmt, f"card-{person.id}")


@bp.post("/checkin/cards/<int:person_id>/reissue")
@login_required
def reissue_card(person_id: int):
    actor = current_actor_or_none()
    page_action(
        lambda: operations.reissue_member_card(actor=actor, person_id=person_id),
        done=_("已补办新卡，旧卡已作废"),
    )
    return redirect(url_for(".person_card", person_id=person_id))


@bp.get("/checkin/cards")
@login_required
def batch_cards():
    """Member cards of a community's people, several to an A4 page, for staff to print."""
    actor = current_actor_or_none()
    communities = queries.communities_in_scope(actor, "people.manage")
    if not communities:
        raise Forbidden("forbidden", "只有社区工作人员可以批量打印会员卡")
    try:
        community_id = int(request.args.get("community_id") or communities[0].id)
    except ValueError:
        community_id = communities[0].id
    rows = operations.people_for_cards(actor, community_id)
    return render(
        "checkin/cards.html",
        cards=[_card_context(person, card) for person, card in rows],
        single=False,
        communities=communities,
        community=get_node(community_id),
    )


@bp.get("/c/<token>")
@login_required
def card_landing(token: str):
    """A staff phone scanned a member card: the person, and the activities running now to check
    them in to (or out of), each with the button the transition table allows."""
    actor = current_actor_or_none()
    if not actor.can_somewhere("stations.manage"):
        # A card names its holder: only those who check people in may read it.
        abort(404)
    try:
        person_id = queries.read_member_card(token)
    except DomainError as exc:
        return private(render("checkin/scan_result.html", exc.status, error=exc, activity=None, station=None))
    person = get_person(person_id)
    now = utcnow()
    activities = [
        a for a in session().exec(queries.activities_stmt(actor, start=now)).all() if _runs(actor, a, now)
    ]
    return private(
        render(
            "checkin/card_landing.html",
            person=person,
            phone=mask_phone(person.phone),
            token=token,
            activities=activities,
            choices={a.id: desk_choice(actor, person.id, a, now) for a in activities},
            stations={a.station_id: get_station(a.station_id) for a in activities},
        )
    )


def _runs(actor, activity: Activity, now: datetime) -> bool:
    return queries.takes_scans(activity, now) and actor.can(
        "stations.manage", station_path(get_station(activity.station_id))
    )
