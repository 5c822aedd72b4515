"""Who is asking: a bearer token under /api, the session cookie on pages."""

from __future__ import annotations

from datetime import datetime

from flask import g, request
from flask import session as cookie
from sqlmodel import select

from points.auth.models import ApiToken
from points.auth.operations import token_digest
from points.auth.policy import Actor, Grant
from points.db import session, utcnow
from points.errors import Unauthorized
from points.org.models import OrgNode
from points.people.models import Person, RoleGrant


def actor_for(person: Person) -> Actor:
    """Load a person's grants with the paths of their nodes, once per request."""
    rows = (
        session()
        .exec(
            select(RoleGrant.role, OrgNode.path, RoleGrant.unit_id)
            .join(OrgNode, OrgNode.id == RoleGrant.node_id, isouter=True)
            .where(RoleGrant.person_id == person.id)
        )
        .all()
    )
    return Actor(
        person_id=person.id,
        name=person.name,
        grants=[Grant(role, path, unit_id) for role, path, unit_id in rows],
        is_party_member=person.is_party_member,
    )


def actor_for_token(token: str, *, now: datetime | None = None) -> tuple[Actor, int]:
    """The actor behind a bearer token and the token's id, in one round trip (every API
    request pays for this, a scan storm thousands of times); 401 `invalid_token` otherwise."""
    now = now or utcnow()
    rows = (
        session()
        .exec(
            select(
                ApiToken.id,
                ApiToken.expires_at,
                ApiToken.revoked_at,
                Person.id,
                Person.name,
                Person.is_party_member,
                Person.is_suspended,
                RoleGrant.role,
                OrgNode.path,
                RoleGrant.unit_id,
            )
            .join(Person, Person.id == ApiToken.person_id)
            .join(RoleGrant, RoleGrant.person_id == Person.id, isouter=True)
            .join(OrgNode, OrgNode.id == RoleGrant.node_id, isouter=True)
            .where(ApiToken.token_hash == token_digest(token))
        )
        .all()
    )
    if not rows:
        raise Unauthorized("invalid_token", "登录凭证无效或已过期，请重新登录")
    token_id, expires_at, revoked_at, person_id, name, is_member, suspended = rows[0][:7]
    if revoked_at is not None or expires_at <= now or suspended:
        raise Unauthorized("invalid_token", "登录凭证无效或已过期，请重新登录")
    grants = [Grant(role, path, unit_id) for *_, role, path, unit_id in rows if role is not None]
    return Actor(person_id=person_id, name=name, grants=grants, is_party_member=is_member), token_id


def _load() -> Actor | None:
    if request.path.startswith("/api/"):
        # The API is CSRF-exempt, so it never honours the session cookie.
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        actor, g.api_token_id = actor_for_token(token.strip())
        return actor
    person_id = cookie.get("person_id")
    if person_id is None:
        return None
    person = session().get(Person, person_id)
    if person is None or person.is_suspended or cookie.get("epoch") != _epoch(person):
        cookie.clear()
        return None
    return actor_for(person)


def _epoch(person: Person) -> str:
    # Changing the password hash ends every page session of that person.
    return (person.password_hash or "")[-12:]


def log_in_page_session(person: Person) -> None:
    cookie.clear()
    cookie["person_id"] = person.id
    cookie["epoch"] = _epoch(person)
    cookie.permanent = True


def current_actor_or_none() -> Actor | None:
    if "actor" not in g:
        g.actor = _load()
    return g.actor


def current_actor() -> Actor:
    actor = current_actor_or_none()
    if actor is None:
        raise Unauthorized("unauthorized", "请先登录")
    return actor


def init_app(app) -> None:
    @app.teardown_request
    def _forget_actor(_exc):
        # An app context can outlive a request (tests, CLI); the actor must not.
        g.pop("actor", None)
        g.pop("api_token_id", None)
