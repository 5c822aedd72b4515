"""JSON endpoints for bearer tokens."""

from __future__ import annotations

from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from points.auth import operations
from points.auth.current import current_actor
from points.auth.queries import client_key
from points.auth.schemas import TokenRequestSchema, TokenSchema
from points.db import keep_on_failure
from points.errors import DomainError, problem_doc
from points.extensions import limiter, login_account_key

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Bearer tokens")


def _address_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_ADDRESS"]


def _account_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_ACCOUNT"]


def login_or_count_failure(phone: str, password: str):
    """Authenticate; a failed attempt's counters are committed although the request fails.

    API clients have no device cookie: failures count against the client's address."""
    try:
        return operations.authenticate(
            phone=phone,
            password=password,
            client_key=client_key(phone=phone, device=None, address=request.remote_addr),
            via="api",
        )
    except DomainError:
        keep_on_failure()
        raise


@blp.route("/token")
class Token(MethodView):
    decorators = [
        limiter.limit(_address_limit, methods=["POST"]),
        limiter.limit(_account_limit, key_func=login_account_key, methods=["POST"]),
    ]

    @blp.arguments(TokenRequestSchema)
    @blp.response(201, TokenSchema)
    @blp.alt_response(401, **problem_doc("invalid_credentials"))
    @blp.alt_response(423, **problem_doc("account_locked"))
    def post(self, data):
        """Log in with phone and password; returns an expiring bearer token (shown once)."""
        person = login_or_count_failure(data["phone"], data["password"])
        token, row = operations.log_in_with_token(person=person, label=data["label"])
        return {"token": token, "token_type": "Bearer", "expires_at": row.expires_at, "person_id": person.id}

    @blp.doc(security=[{"bearerAuth": []}])
    @blp.response(204)
    def delete(self):
        """Revoke the token this request carries (log out)."""
        current_actor()
        operations.revoke_token(token_id=g.api_token_id)
