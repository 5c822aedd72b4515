"""Every change onboarding makes: sending a phone code, registering, consenting, confirming."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from points.access import Actor
from points.db import session, utcnow
from points.errors import Conflict, DomainError
from points.labels import N_
from points.onboarding.codes import code_hash, new_code, sender_from
from points.onboarding.models import Consent, VerificationCode
from points.onboarding.phones import mobile
from points.onboarding.queries import last_code_sent_at, latest_code
from points.org.models import OrgLevel
from points.org.queries import find_node
from points.people import operations as people
from points.people.models import Person
from points.people.queries import find_person_by_phone

CODE_MAX_ATTEMPTS = 5


def current_notice_version() -> str:
    return current_app.config["PRIVACY_NOTICE_VERSION"]


def phone_codes_on() -> bool:
    """Whether registering proves the phone with a code (a sender is configured)."""
    return bool((current_app.config.get("VERIFICATION_SENDER") or "").strip())


def _free_phone(raw: str) -> str:
    phone = mobile(raw)
    if find_person_by_phone(phone) is not None:
        raise Conflict("phone_taken", "该手机号已注册，请直接登录", errors={"phone": [N_("该手机号已注册")]})
    return phone


def send_code(*, phone: str, now: datetime | None = None) -> VerificationCode:
    """Send a verification code to a phone that has no account yet.

    Raises `invalid_phone`, `phone_taken`, `codes_off` (no sender configured), `code_too_soon`
    (one per VERIFICATION_CODE_INTERVAL_SECONDS), `code_not_sent` (the sender failed)."""
    now = now or utcnow()
    config = current_app.config
    sender = sender_from(config)
    if sender is None:
        raise Conflict("codes_off", "本服务注册不需要验证码")
    phone = _free_phone(phone)
    last = last_code_sent_at(phone)
    if last is not None and now - last < timedelta(seconds=config["VERIFICATION_CODE_INTERVAL_SECONDS"]):
        raise Conflict("code_too_soon", "验证码已发送，请稍后再试")
    code = new_code()
    row = VerificationCode(
        phone=phone,
        code_hash=code_hash(config["SECRET_KEY"], phone, code),
        created_at=now,
        expires_at=now + timedelta(minutes=config["VERIFICATION_CODE_MINUTES"]),
    )
    session().add(row)
    session().flush()
    try:
        sender.send_code(phone, code)
    except Exception as exc:
        current_app.logger.exception("sending a verification code failed")
        raise DomainError("code_not_sent", "验证码发送失败，请稍后再试", 503) from exc
    return row


def check_code(*, phone: str, code: str | None, now: datetime) -> None:
    """Use up the phone's latest code if `code` is it. A wrong code counts against the code's
    attempts (the caller keeps that count although it refuses). Raises `code_required`,
    `code_invalid`."""
    if not code:
        raise DomainError("code_required", "请输入短信验证码", 422, errors={"code": [N_("必填")]})
    row = latest_code(phone, now=now)
    if row is None or row.attempts >= CODE_MAX_ATTEMPTS:
        raise DomainError(
            "code_invalid", "验证码错误或已过期，请重新获取", 422, errors={"code": [N_("验证码错误")]}
        )
    expected = code_hash(current_app.config["SECRET_KEY"], phone, code.strip())
    if not hmac.compare_digest(expected, row.code_hash):
        row.attempts += 1
        session().flush()
        raise DomainError(
            "code_invalid", "验证码错误或已过期，请重新获取", 422, errors={"code": [N_("验证码错误")]}
        )
    row.used_at = now


def give_consent(*, person_id: int, version: str, now: datetime | None = None) -> Consent:
    """The person agrees to the privacy notice's current version; every agreement is kept.
    Raises `consent_outdated` when `version` is not the current one."""
    now = now or utcnow()
    if version != current_notice_version():
        raise DomainError("consent_outdated", "隐私政策已更新，请阅读新版本后再同意", 422)
    people.record_consent(person_id=person_id, version=version, now=now)
    consent = Consent(person_id=person_id, version=version, given_at=now)
    session().add(consent)
    session().flush()
    return consent


def register_person(
    *,
    phone: str,
    name: str,
    grid_id: int,
    password: str,
    consent_version: str | None,
    code: str | None = None,
    now: datetime | None = None,
) -> Person:
    """A resident registers themselves at a grid (and so its community), with a password and
    consent to the privacy notice. With a code sender configured the phone's code must match;
    without one the account waits for staff confirmation before it earns points.

    Raises `invalid_phone`, `phone_taken`, `invalid_grid`, `consent_required`,
    `consent_outdated`, `code_required`, `code_invalid`, `weak_password`."""
    now = now or utcnow()
    phone = _free_phone(phone)
    if phone_codes_on():
        check_code(phone=phone, code=code, now=now)
    grid = find_node(grid_id)
    if grid is None or grid.level != OrgLevel.GRID:
        raise DomainError("invalid_grid", "请选择所在网格", 422, errors={"grid_id": [N_("请选择所在网格")]})
    if not consent_version:
        raise DomainError(
            "consent_required", "请阅读并同意隐私政策", 422, errors={"consent": [N_("请阅读并同意隐私政策")]}
        )
    person = people.create_person(
        actor=None,
        phone=phone,
        name=name,
        password=password,
        community_id=grid.parent_id,
        grid_id=grid.id,
        needs_confirmation=not phone_codes_on(),
        now=now,
    )
    give_consent(person_id=person.id, version=consent_version, now=now)
    return person


def confirm_account(*, actor: Actor, person_id: int, now: datetime | None = None) -> Person:
    """Staff confirm a self-registered person at the desk (see people's `confirm_account`)."""
    return people.confirm_account(actor=actor, person_id=person_id, now=now)


def prune_codes(*, before: datetime) -> int:
    """Delete verification codes that expired before `before`."""
    return session().execute(sa.delete(VerificationCode).where(VerificationCode.expires_at < before)).rowcount
