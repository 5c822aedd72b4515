"""Member cards: a printed code for people without a smartphone, which staff scan at the desk.
Reissuing a card voids the old one."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from points.access import Actor
from points.audit.operations import audit
from points.checkin import queries, tokens
from points.checkin.models import MemberCard
from points.db import session, utcnow
from points.org.queries import get_node
from points.people.models import Person
from points.people.queries import get_person, home_path


def ensure_member_card(person_id: int, *, now: datetime | None = None) -> MemberCard:
    """The person's current card, issued (serial 1) the first time anyone asks for it."""
    card = queries.member_card(person_id)
    if card is not None:
        return card
    sess = session()
    card = MemberCard(person_id=person_id, serial=1, issued_at=now or utcnow())
    try:
        with sess.begin_nested():
            sess.add(card)
            sess.flush()
    except IntegrityError:
        card = queries.member_card(person_id)
        if card is None:
            raise
    return card


def card_token(card: MemberCard) -> str:
    return tokens.encode_card(tokens.CardCode(card.person_id, card.serial), queries.card_key())


def _check_card_reader(actor: Actor, person: Person) -> None:
    """Oneself, or people managers over the person's home."""
    if person.id != actor.person_id:
        actor.require("people.manage", home_path(person))


def member_card_for(
    *, actor: Actor, person_id: int, now: datetime | None = None
) -> tuple[Person, MemberCard]:
    """A person's card to show or print: their own, or for people managers in scope."""
    person = get_person(person_id)
    _check_card_reader(actor, person)
    return person, ensure_member_card(person.id, now=now)


def reissue_member_card(*, actor: Actor, person_id: int, now: datetime | None = None) -> MemberCard:
    """Replace a lost card: the new serial voids the old card. Needs `people.manage` over the
    person's home (or is one's own). Audited."""
    now = now or utcnow()
    person = get_person(person_id)
    _check_card_reader(actor, person)
    ensure_member_card(person.id, now=now)
    card = (
        session()
        .exec(
            select(MemberCard)
            .where(MemberCard.person_id == person.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        .one()
    )
    card.serial += 1
    card.issued_at, card.issued_by_id = now, actor.person_id
    audit(actor, "member_card.reissued", person, detail={"serial": card.serial}, now=now)
    return card


def people_for_cards(actor: Actor, community_id: int, *, limit: int = 500) -> list[tuple[Person, MemberCard]]:
    """Everyone living in a community with their cards (issued where missing), for batch printing.
    Needs `people.manage` over the community."""
    community = get_node(community_id)
    actor.require("people.manage", community.path)
    people = (
        session()
        .exec(
            select(Person)
            .where(Person.community_id == community.id, Person.is_suspended == sa.false())
            .order_by(Person.id)
            .limit(limit)
        )
        .all()
    )
    return [(person, ensure_member_card(person.id)) for person in people]
