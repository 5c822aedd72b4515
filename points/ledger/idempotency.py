"""The Idempotency-Key contract for requests that move points.

A key is scoped to the caller. The first successful response is stored with a
fingerprint of the request; the same key with the same request replays it and
moves nothing more, with another request it is refused (409). A failed request
rolls back with everything else, which frees the key.
"""

from __future__ import annotations

import hashlib
from functools import wraps

from flask import Response, request
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from points.auth.current import current_actor
from points.db import session
from points.errors import Conflict, DomainError
from points.ledger.models import IdempotencyRecord

HEADER = "Idempotency-Key"
# The stored key's column length.
KEY_MAX = 128
DOC = {
    "parameters": [
        {
            "in": "header",
            "name": HEADER,
            "required": True,
            # An empty or blank key counts as none (428), so the document asks for a visible character.
            "schema": {"type": "string", "minLength": 1, "maxLength": KEY_MAX, "pattern": r"\S"},
            "description": "Unique per intended change; retry with the same key and body to be safe.",
        }
    ]
}


def _fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0" + request.path.encode() + b"\0")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _find(person_id: int, key: str) -> IdempotencyRecord | None:
    return (
        session()
        .exec(
            select(IdempotencyRecord).where(
                IdempotencyRecord.person_id == person_id, IdempotencyRecord.key == key
            )
        )
        .first()
    )


def idempotent(view):
    """Wrap a view that moves points (put it above the schema decorators)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        actor = current_actor()
        key = request.headers.get(HEADER, "").strip()
        if not key:
            raise DomainError(
                "idempotency_key_required", "请求缺少 %(header)s 请求头", 428, values={"header": HEADER}
            )
        if len(key) > KEY_MAX:
            raise DomainError(
                "invalid_idempotency_key",
                "%(header)s 不能超过%(limit)s个字符",
                422,
                values={"header": HEADER, "limit": KEY_MAX},
            )
        fingerprint = _fingerprint()
        sess = session()
        record = _find(actor.person_id, key)
        mine = False
        if record is None:
            record = IdempotencyRecord(person_id=actor.person_id, key=key, fingerprint=fingerprint)
            try:
                # A concurrent request with the same key makes this wait for it, then fail.
                with sess.begin_nested():
                    sess.add(record)
                    sess.flush()
                mine = True
            except IntegrityError:
                record = _find(actor.person_id, key)
        if not mine:
            if record is None or record.status_code == 0:
                raise Conflict("request_in_progress", "相同幂等键的请求正在处理，请稍后重试")
            if record.fingerprint != fingerprint:
                raise Conflict("idempotency_key_reused", "该幂等键已用于另一个请求")
            return Response(
                record.response_body,
                status=record.status_code,
                mimetype="application/json",
                headers={"Idempotent-Replayed": "true"},
            )
        response = view(*args, **kwargs)
        if response.status_code < 400:
            record.status_code = response.status_code
            record.response_body = response.get_data(as_text=True)
            sess.flush()
        return response

    return wrapped
