"""Password hashing with argon2id, the password policy, and passwords made for people."""

from __future__ import annotations

import secrets
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from points.errors import DomainError
from points.i18n import as_written
from points.labels import N_

_hashers: dict[tuple[int, int], PasswordHasher] = {}

MIN_LENGTH = 8
MAX_LENGTH = 128
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
# Made passwords are read aloud or copied from paper by older residents: no 0/O/o, 1/l/I/i.
READABLE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _hasher() -> PasswordHasher:
    time_cost = current_app.config.get("ARGON2_TIME_COST", 3)
    memory_cost = current_app.config.get("ARGON2_MEMORY_COST", 65536)
    key = (time_cost, memory_cost)
    if key not in _hashers:
        _hashers[key] = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)
    return _hashers[key]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check so a missing account is not revealed.
        _hasher().hash(password)
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def check_password_policy(password: str, phone: str, *, field: str = "password") -> None:
    """Refuse a password that is short, made of the phone's digits, or common.

    Every place that sets a password calls this (creating a person, changing one's own,
    accepting a new one after a reset). Raises `weak_password` (422) naming `field`.
    """
    digits = "".join(ch for ch in phone if ch.isdigit())
    lowered = password.lower()
    if len(password) < MIN_LENGTH:
        message = N_("密码至少需要 %(count)s 位")
    elif len(password) > MAX_LENGTH:
        message = N_("密码不能超过 %(max)s 位")
    elif digits and (digits in password or (password.isdigit() and password in digits)):
        message = N_("密码不能使用手机号")
    elif lowered in common_passwords() or len(set(lowered)) < 3:
        message = N_("这个密码太常见，容易被猜到，请换一个")
    else:
        return
    values = {"count": MIN_LENGTH, "max": MAX_LENGTH}
    raise DomainError(
        "weak_password", message, 422, errors={field: [as_written(message, **values)]}, values=values
    )


def generate_password() -> str:
    """A random password an older person can read and type: `k7mp-x4qa-9h` (about 50 bits)."""
    chars = "".join(secrets.choice(READABLE_ALPHABET) for _ in range(10))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"
