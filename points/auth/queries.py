"""Reading logins: live page sessions, known devices, locks left by failed logins."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlmodel import select

from points.auth.models import LoginSession
from points.db import session, utcnow
from points.people.models import Person
from points.people.queries import normalise_phone


def token_digest(token: str) -> str:
    """SHA-256 of a random secret (token, session secret, device cookie): what is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class LiveSession:
    id: int
    person: Person
    last_seen_at: datetime
    password_confirmed_at: datetime


def find_live_session(
    session_id: object, secret: object, *, now: datetime | None = None
) -> LiveSession | None:
    """The page session a cookie names, if its secret matches and it has not ended: not logged
    out or revoked, within SESSION_ABSOLUTE_DAYS of the login and SESSION_IDLE_DAYS of its last
    use, and its person not suspended."""
    if not isinstance(session_id, int) or not isinstance(secret, str) or not secret:
        return None
    now = now or utcnow()
    row = (
        session()
        .exec(
            select(LoginSession, Person)
            .join(Person, Person.id == LoginSession.person_id)
            .where(LoginSession.id == session_id)
        )
        .first()
    )
    if row is None:
        return None
    login, person = row
    idle = timedelta(days=current_app.config["SESSION_IDLE_DAYS"])
    if (
        not hmac.compare_digest(login.secret_hash, token_digest(secret))
        or login.revoked_at is not None
        or login.expires_at <= now
        or login.last_seen_at + idle <= now
        or person.is_suspended
    ):
        return None
    return LiveSession(login.id, person, login.last_seen_at, login.password_confirmed_at)


def device_known(*, phone: str, device: str | None) -> bool:
    """Whether this device cookie has logged in to the account of this phone before."""
    if not device:
        return False
    found = (
        session()
        .exec(
            select(LoginSession.id)
            .join(Person, Person.id == LoginSession.person_id)
            .where(Person.phone == normalise_phone(phone), LoginSession.device_hash == token_digest(device))
            .limit(1)
        )
        .first()
    )
    return found is not None


def client_key(*, phone: str, device: str | None, address: str | None) -> str:
    """Whom failed logins of this phone are counted against: a device the account has logged in
    from before, else the address (a fresh device cookie costs an attacker nothing)."""
    if device and device_known(phone=phone, device=device):
        return "d:" + token_digest(device)
    return "a:" + (address or "")[:64]
