"""Logging in and out: page sessions, API tokens, failed-login throttles, password confirmation."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlmodel import select

from points.access import Actor
from points.audit.operations import audit, record
from points.auth.models import ApiToken, LoginSession
from points.auth.queries import token_digest
from points.db import session, utcnow
from points.errors import DomainError, Unauthorized
from points.labels import N_
from points.people.models import Person
from points.people.operations import count_failed_login, forget_failed_logins
from points.people.passwords import verify_password
from points.people.queries import login_throttle, mask_phone, normalise_phone


def _failed(
    *, phone: str, person: Person | None, reason: str, via: str, now: datetime, locked_until=None
) -> None:
    detail = {"phone": mask_phone(phone), "reason": reason, "via": via}
    if locked_until is not None:
        detail["locked_until"] = locked_until.isoformat()
    if person is None:
        # Nobody has this phone: the entry names no one (and is read by no community's staff).
        record(
            actor_id=None,
            action="auth.login_failed",
            target_type="person",
            target_id=None,
            detail=detail,
            now=now,
        )
    else:
        audit(None, "auth.login_failed", person, detail=detail, now=now)


def authenticate(
    *, phone: str, password: str, client_key: str, via: str = "page", now: datetime | None = None
) -> Person:
    """Check a phone and password from one client (a device, or an address).

    Failures are counted per (phone as typed, client), for unknown phones exactly as for
    real ones: LOGIN_MAX_FAILURES lock that pair, for longer with each further lock, and
    never the same account from another client. Every refusal is in the audit log (the
    phone masked, never the password); the caller commits it although the request fails.

    Raises `invalid_credentials` (401), `account_locked` (423) or `account_suspended` (403).
    """
    now = now or utcnow()
    phone = normalise_phone(phone)
    sess = session()
    throttle = login_throttle(phone=phone, client_key=client_key)
    person = sess.exec(select(Person).where(Person.phone == phone)).first()
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        _failed(phone=phone, person=person, reason="locked", via=via, now=now)
        raise DomainError(
            "account_locked",
            "登录失败次数过多，已暂时锁定，请稍后再试，或用常用的手机登录，或联系社区工作人员解锁",
            423,
        )
    # Unknown phones spend the same argon2 time as real ones.
    if not verify_password(person.password_hash if person else None, password):
        locked_until = count_failed_login(phone=phone, client_key=client_key, now=now)
        _failed(phone=phone, person=person, reason="password", via=via, now=now, locked_until=locked_until)
        raise Unauthorized("invalid_credentials", "手机号或密码错误")
    if person.is_suspended:
        _failed(phone=phone, person=person, reason="suspended", via=via, now=now)
        raise DomainError("account_suspended", "账号已停用，请联系社区工作人员", 403)
    if throttle is not None:
        forget_failed_logins(throttle_id=throttle.id)
    return person


def _as_actor(person: Person) -> Actor:
    """The person logging in or out, as the audit log names whoever acted."""
    return Actor(person_id=person.id, name=person.name)


def _record_login(person: Person, via: str, now: datetime) -> None:
    audit(_as_actor(person), "auth.login", person, detail={"via": via}, now=now)


def _record_logout(person_id: int, via: str, now: datetime) -> None:
    person = session().get(Person, person_id)
    audit(_as_actor(person), "auth.logout", person, detail={"via": via}, now=now)


def start_login_session(
    *,
    person: Person,
    device: str | None = None,
    address: str = "",
    user_agent: str = "",
    audited: bool = True,
    now: datetime | None = None,
) -> tuple[str, LoginSession]:
    """Begin a page session after a password login; the secret goes into the cookie, only
    its SHA-256 into the row. `device` is the browser's device cookie, if it had one."""
    now = now or utcnow()
    secret = secrets.token_urlsafe(32)
    row = LoginSession(
        person_id=person.id,
        secret_hash=token_digest(secret),
        device_hash=token_digest(device) if device else None,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(days=current_app.config["SESSION_ABSOLUTE_DAYS"]),
        password_confirmed_at=now,
        address=address[:64],
        user_agent=user_agent[:200],
    )
    session().add(row)
    session().flush()
    if audited:
        _record_login(person, "page", now)
    return secret, row


def end_login_session(*, session_id: int, now: datetime | None = None) -> None:
    """Log out: the session's cookie, wherever a copy of it is, stops working."""
    now = now or utcnow()
    row = session().get(LoginSession, session_id)
    if row is None or row.revoked_at is not None:
        return
    row.revoked_at = now
    session().flush()
    _record_logout(row.person_id, "page", now)


def touch_login_session(*, session_id: int, now: datetime) -> None:
    """Note that the session is in use (the idle timeout counts from here)."""
    session().execute(
        sa.update(LoginSession)
        .where(LoginSession.id == session_id, LoginSession.last_seen_at < now)
        .values(last_seen_at=now)
    )


def confirm_password(*, session_id: int, password: str, now: datetime | None = None) -> LoginSession:
    """The password typed again in a page session, for sensitive actions (REAUTH_HOURS).

    Raises `invalid_credentials` (422) when it is wrong.
    """
    now = now or utcnow()
    row = session().get(LoginSession, session_id)
    person = session().get(Person, row.person_id) if row else None
    if person is None or not verify_password(person.password_hash, password):
        raise DomainError("invalid_credentials", "密码不正确", 422, errors={"password": [N_("密码不正确")]})
    row.password_confirmed_at = now
    session().flush()
    return row


def issue_token(*, person: Person, label: str = "", now: datetime | None = None) -> tuple[str, ApiToken]:
    """Create a bearer token; only its SHA-256 is stored, the token is shown once."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        person_id=person.id,
        token_hash=token_digest(token),
        label=label[:100],
        created_at=now,
        expires_at=now + timedelta(hours=current_app.config["API_TOKEN_HOURS"]),
    )
    session().add(row)
    session().flush()
    return token, row


def log_in_with_token(
    *, person: Person, label: str = "", now: datetime | None = None
) -> tuple[str, ApiToken]:
    """A password login to the API: a new bearer token, and the login in the audit log."""
    now = now or utcnow()
    token, row = issue_token(person=person, label=label, now=now)
    _record_login(person, "api", now)
    return token, row


def revoke_token(*, token_id: int, now: datetime | None = None) -> None:
    """Log out of the API: this token stops working."""
    now = now or utcnow()
    row = session().get(ApiToken, token_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        session().flush()
        _record_logout(row.person_id, "api", now)


def revoke_all_sessions(*, person_id: int, now: datetime | None = None) -> int:
    """End every page session and API token of a person (new password, suspension)."""
    now = now or utcnow()
    sess = session()
    tokens = sess.execute(
        sa.update(ApiToken)
        .where(ApiToken.person_id == person_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount
    pages = sess.execute(
        sa.update(LoginSession)
        .where(LoginSession.person_id == person_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount
    return tokens + pages
