"""Who is asking: a bearer token under /api, the page session's cookie on pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps

import sqlalchemy as sa
from flask import current_app, g, redirect, request, url_for
from flask import session as cookie
from sqlmodel import select

from points.access import Actor, Grant
from points.auth import operations
from points.auth.models import ApiToken
from points.auth.queries import find_live_session, token_digest
from points.db import session, utcnow
from points.errors import Unauthorized
from points.org.models import OrgNode
from points.people.models import Person, RoleGrant
from points.people.proxy_queries import active_proxy_link

# The name of the long-lived random cookie that tells one browser from another at login.
DEVICE_COOKIE = "device"


@dataclass(frozen=True)
class Credential:
    """How the actor is logged in: a page session or an API token (by id), when they last typed
    their password (the login, or a confirmation), and whether they must choose a new one."""

    kind: str
    id: int
    confirmed_at: datetime
    must_change_password: bool


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


# Token, person and grants in one statement, built once: every API request runs it (a scan storm
# thousands of times), and building it afresh cost more than the database's answer. Core
# columns of the tables, so no ORM entity is loaded.
_tokens = ApiToken.__table__
_people = Person.__table__
_grants = RoleGrant.__table__
_nodes = OrgNode.__table__
_TOKEN_ACTOR = (
    sa.select(
        _tokens.c.id,
        _tokens.c.created_at,
        _tokens.c.expires_at,
        _tokens.c.revoked_at,
        _people.c.id.label("person_id"),
        _people.c.name,
        _people.c.is_party_member,
        _people.c.is_suspended,
        _people.c.must_change_password,
        _grants.c.role,
        _nodes.c.path,
        _grants.c.unit_id,
    )
    .select_from(
        _tokens.join(_people, _people.c.id == _tokens.c.person_id)
        .outerjoin(_grants, _grants.c.person_id == _people.c.id)
        .outerjoin(_nodes, _nodes.c.id == _grants.c.node_id)
    )
    .where(_tokens.c.token_hash == sa.bindparam("digest"))
)


def credential_for_token(token: str, *, now: datetime | None = None) -> tuple[Actor, Credential]:
    """The actor behind a bearer token and how they logged in, in one round trip (every API
    request pays for this, a scan storm thousands of times); 401 `invalid_token` otherwise.

    Read afresh on every request, never cached: a revoked token, a suspended person or a role
    taken away counts from the next request, in every worker."""
    now = now or utcnow()
    rows = session().connection().execute(_TOKEN_ACTOR, {"digest": token_digest(token)}).all()
    if not rows:
        raise Unauthorized("invalid_token", "登录凭证无效或已过期，请重新登录")
    first = rows[0]
    if first.revoked_at is not None or first.expires_at <= now or first.is_suspended:
        raise Unauthorized("invalid_token", "登录凭证无效或已过期，请重新登录")
    grants = [Grant(role, path, unit_id) for *_, role, path, unit_id in rows if role is not None]
    actor = Actor(
        person_id=first.person_id, name=first.name, grants=grants, is_party_member=first.is_party_member
    )
    return actor, Credential("token", first.id, first.created_at, first.must_change_password)


def actor_for_token(token: str, *, now: datetime | None = None) -> tuple[Actor, int]:
    """The actor behind a bearer token and the token's id; 401 `invalid_token` otherwise."""
    actor, credential = credential_for_token(token, now=now)
    return actor, credential.id


def _load() -> Actor | None:
    if request.path.startswith("/api/"):
        # The API is CSRF-exempt, so it never honours the session cookie.
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        actor, g.credential = credential_for_token(token.strip())
        g.api_token_id = g.credential.id
        return actor
    if "sid" not in cookie:
        return None
    now = utcnow()
    live = find_live_session(cookie.get("sid"), cookie.get("key"), now=now)
    if live is None:
        # Logged out, revoked, expired or forged: forget the cookie.
        cookie.clear()
        return None
    if now - live.last_seen_at >= timedelta(seconds=current_app.config["SESSION_TOUCH_SECONDS"]):
        operations.touch_login_session(session_id=live.id, now=now)
    g.credential = Credential("page", live.id, live.password_confirmed_at, live.person.must_change_password)
    if ACTING_FOR in cookie:
        acting = _acting_for(live.person, cookie.get(ACTING_FOR))
        if acting is not None:
            return acting
        cookie.pop(ACTING_FOR, None)
    return actor_for(live.person)


# The page session's key naming the relative a family member acts for (代办), if any.
ACTING_FOR = "acting_for"


def _acting_for(proxy: Person, relative_id) -> Actor | None:
    """The relative as the actor, with the family member noted, while their link is active."""
    if (
        not isinstance(relative_id, int)
        or active_proxy_link(proxy_id=proxy.id, relative_id=relative_id) is None
    ):
        return None
    relative = session().get(Person, relative_id)
    if relative is None or relative.is_suspended:
        return None
    return Actor(
        person_id=relative.id,
        name=relative.name,
        is_party_member=relative.is_party_member,
        proxy_id=proxy.id,
        proxy_name=proxy.name,
    )


def log_in_page_session(person: Person, *, device: str | None = None, audited: bool = True) -> None:
    """Start a server-side session for this browser: the cookie holds only its id and secret.
    `device` is the browser's device cookie (by default the one the request carries)."""
    secret, row = operations.start_login_session(
        person=person,
        device=device or request.cookies.get(DEVICE_COOKIE),
        address=request.remote_addr or "",
        user_agent=request.user_agent.string or "",
        audited=audited,
    )
    cookie.clear()
    cookie["sid"] = row.id
    cookie["key"] = secret
    cookie.permanent = True
    g.pop("actor", None)
    g.pop("credential", None)


def current_credential() -> Credential | None:
    """How the current actor logged in (None when nobody is)."""
    if current_actor_or_none() is None:
        return None
    return g.get("credential")


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
    # The signed cookie lives as long as the longest page session (the row decides the rest).
    app.permanent_session_lifetime = timedelta(days=app.config["SESSION_ABSOLUTE_DAYS"])

    @app.teardown_request
    def _forget_actor(_exc):
        # An app context can outlive a request (tests, CLI); the actor must not.
        g.pop("actor", None)
        g.pop("api_token_id", None)
        g.pop("credential", None)


def login_required(view):
    """Pages for people who are logged in; others go to the login page and come back."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_actor_or_none() is None:
            return redirect(url_for("auth_pages.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def request_device() -> tuple[str | None, str | None]:
    """The asking device as stored: the SHA-256 of the page's device cookie, or of the
    mini-program's `X-Device-Id` header under /api, and the user agent (both None when absent)."""
    if request.path.startswith("/api/"):
        value = request.headers.get("X-Device-Id", "")
    else:
        value = request.cookies.get(DEVICE_COOKIE, "")
    digest = token_digest(value) if 16 <= len(value) <= 128 else None
    user_agent = (request.user_agent.string or "")[:200] or None
    return digest, user_agent
