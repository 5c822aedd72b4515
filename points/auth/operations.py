"""Logging in, issuing and revoking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlmodel import select

from points.audit.operations import record
from points.auth.models import ApiToken
from points.auth.passwords import verify_password
from points.db import session, utcnow
from points.errors import DomainError, Unauthorized
from points.people.models import Person


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(*, phone: str, password: str, now: datetime | None = None) -> Person:
    """Check a phone and password; count failures and lock the account after too many.

    Raises `invalid_credentials` (401), `account_locked` (423) or
    `account_suspended` (403). The caller commits the failure count although the
    request fails (see `login_or_count_failure`).
    """
    now = now or utcnow()
    sess = session()
    person = sess.exec(select(Person).where(Person.phone == phone.strip())).first()
    if person is None:
        verify_password(None, password)
        raise Unauthorized("invalid_credentials", "手机号或密码错误")
    if person.locked_until is not None and person.locked_until > now:
        raise DomainError(
            "account_locked", "登录失败次数过多，账号已暂时锁定，请稍后再试或联系社区工作人员解锁", 423
        )
    if not verify_password(person.password_hash, password):
        # Counted in the database, so parallel wrong guesses cannot overwrite each other's count.
        failures = sess.execute(
            sa.update(Person)
            .where(Person.id == person.id)
            .values(failed_logins=Person.failed_logins + 1)
            .returning(Person.failed_logins)
        ).scalar_one()
        person.failed_logins = failures
        limit = current_app.config["LOGIN_MAX_FAILURES"]
        if failures >= limit:
            person.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
            person.failed_logins = 0
            record(
                actor_id=None,
                action="person.locked",
                target_type="person",
                target_id=person.id,
                node_id=person.community_id,
                now=now,
            )
        sess.flush()
        raise Unauthorized("invalid_credentials", "手机号或密码错误")
    if person.is_suspended:
        raise DomainError("account_suspended", "账号已停用，请联系社区工作人员", 403)
    if person.failed_logins or person.locked_until:
        person.failed_logins, person.locked_until = 0, None
    return person


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


def revoke_token(*, token_id: int, now: datetime | None = None) -> None:
    row = session().get(ApiToken, token_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = now or utcnow()


def revoke_all_tokens(*, person_id: int, now: datetime | None = None) -> int:
    """End every live API token of a person (after a password change or reset)."""
    result = session().execute(
        sa.update(ApiToken)
        .where(ApiToken.person_id == person_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
    return result.rowcount
