"""The Idempotency-Key contract for requests that move points.

A key is scoped to the caller. The first successful response is stored with a
fingerprint of the request; the same key with the same request replays it and
moves nothing more, with another request it is refused (409). A failed request
rolls back with everything else, which frees the key.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from functools import wraps

import sqlalchemy as sa
from flask import Response, request
from sqlalchemy.dialects import postgresql, sqlite

from points.auth.current import current_actor
from points.db import commit_now, keep_on_failure, session, utcnow
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


_records = IdempotencyRecord.__table__
_FIND = sa.select(_records.c.fingerprint, _records.c.status_code, _records.c.response_body).where(
    _records.c.person_id == sa.bindparam("person_id"), _records.c.key == sa.bindparam("key")
)
_STORE = (
    sa.update(_records)
    .where(_records.c.id == sa.bindparam("record_id"))
    .values(status_code=sa.bindparam("status_code"), response_body=sa.bindparam("response_body"))
)


@functools.cache
def _claim_statement(dialect: str):
    """Take the key, or nothing when it is taken: one statement, built once per backend. A
    concurrent request with the same key makes it wait for that one to end."""
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    return (
        insert(_records)
        .values(
            person_id=sa.bindparam("person_id"),
            key=sa.bindparam("key"),
            fingerprint=sa.bindparam("fingerprint"),
            status_code=0,
            response_body="",
            created_at=sa.bindparam("now", type_=_records.c.created_at.type),
        )
        .on_conflict_do_nothing(index_elements=["person_id", "key"])
        .returning(_records.c.id)
    )


def _claim(person_id: int, key: str, fingerprint: str) -> int | None:
    """The new record's id, or None when the key was taken before."""
    conn = session().connection()
    params = {"person_id": person_id, "key": key, "fingerprint": fingerprint, "now": utcnow()}
    return conn.execute(_claim_statement(conn.dialect.name), params).scalar()


def idempotent(view=None, *, refuse_first: Callable[..., DomainError | None] | None = None):
    """Wrap a view that moves points (put it above the schema decorators).

    `refuse_first`, called with the view's keyword arguments before the key is taken, may answer
    a refusal it can tell by reading alone (an item sold out): nothing is written then, so the
    request ends with a commit of nothing rather than a rollback, which would drop the
    connection's prepared statements. A key used before is still answered as it was."""
    if view is None:
        return functools.partial(idempotent, refuse_first=refuse_first)

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
        refused = refuse_first(**kwargs) if refuse_first is not None else None
        if refused is not None:
            record = session().connection().execute(_FIND, {"person_id": actor.person_id, "key": key}).first()
            if record is None:
                keep_on_failure()
                raise refused
            return _replay(record, fingerprint)
        record_id = _claim(actor.person_id, key, fingerprint)
        if record_id is None:
            record = session().connection().execute(_FIND, {"person_id": actor.person_id, "key": key}).first()
            return _replay(record, fingerprint)
        request.environ[_LAST_STEPS] = []
        response = view(*args, **kwargs)
        steps = request.environ.pop(_LAST_STEPS)
        if response.status_code < 400:
            session().connection().execute(
                _STORE,
                {
                    "record_id": record_id,
                    "status_code": response.status_code,
                    "response_body": response.get_data(as_text=True),
                },
            )
            for step in steps:
                step()
            if steps:
                # The last steps hold locks other requests queue on: release them at once.
                commit_now()
        return response

    return wrapped


def _replay(record, fingerprint: str) -> Response:
    """The stored answer of a key used before, or why there is none to give."""
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


_LAST_STEPS = "points.idempotency.last_steps"


def after_answer(step: Callable[[], None]) -> None:
    """Run `step` after the view's answer is stored, in the same transaction, and commit right
    after it: a step that takes locks other requests queue on (a redemption's stock and
    posting) then holds them for as short as possible. A step that raises refuses the request
    instead, and the stored answer is rolled back with everything else. Only inside a view
    wrapped in `idempotent`."""
    request.environ[_LAST_STEPS].append(step)
