"""Registering through the API: what the form needs, a phone code, the account; consenting again."""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from points.auth.current import current_actor
from points.endpoints import secured
from points.errors import problem_doc
from points.extensions import limiter
from points.onboarding import operations, queries
from points.onboarding.codes import succeeded
from points.onboarding.schemas import (
    CodeRequestSchema,
    ConsentSchema,
    NoticeInfoSchema,
    RegisteredSchema,
    RegisterSchema,
)

blp = Blueprint("onboarding", __name__, url_prefix="/api/v1", description="Registering oneself; consent")


def _phone_key() -> str:
    body = request.get_json(silent=True)
    return "register-phone:" + (str(body.get("phone", ""))[:32] if isinstance(body, dict) else "")


def _address_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT_ADDRESS"]


def _phone_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT_PHONE"]


# One budget per address and one per phone for registering and asking for codes, whether
# through the API or the form (the scopes are shared with the page's limits). The address pays
# for every attempt; the phone only for codes sent and accounts made.
REGISTER_LIMITS = [
    limiter.shared_limit(_address_limit, scope="register-address", methods=["POST"]),
    limiter.shared_limit(
        _phone_limit, scope="register-phone", key_func=_phone_key, methods=["POST"], deduct_when=succeeded
    ),
]


@blp.route("/register")
class Register(MethodView):
    decorators = REGISTER_LIMITS

    @blp.response(200, NoticeInfoSchema)
    def get(self):
        """What registering needs: the privacy notice's version, whether a code is asked, and
        the grids one may live in."""
        return {
            "privacy_notice_version": operations.current_notice_version(),
            "phone_codes": operations.phone_codes_on(),
            "homes": queries.homes(),
        }

    @blp.arguments(RegisterSchema)
    @blp.response(201, RegisteredSchema)
    @blp.alt_response(
        422,
        **problem_doc(
            "validation_error (every bad field at once, a bad phone too), invalid_grid, "
            "consent_required, code_required, code_invalid, weak_password"
        ),
    )
    @blp.alt_response(409, **problem_doc("phone_taken"))
    def post(self, data):
        """Register as a resident (no token): consent must be given; then log in for a token."""
        person = operations.register_person(
            phone=data["phone"],
            name=data["name"],
            grid_id=data["grid_id"],
            password=data["password"],
            consent_version=operations.current_notice_version() if data["consent"] else None,
            code=data.get("code"),
        )
        return person


@blp.route("/register/code")
class RegisterCode(MethodView):
    decorators = REGISTER_LIMITS

    @blp.arguments(CodeRequestSchema)
    @blp.response(204)
    @blp.alt_response(409, **problem_doc("phone_taken, codes_off, code_too_soon"))
    def post(self, data):
        """Send a verification code by SMS to a phone that has no account yet."""
        operations.send_code(phone=data["phone"])


@blp.route("/me/consent")
class MyConsent(MethodView):
    @secured(blp, 204, body=ConsentSchema)
    @blp.alt_response(422, **problem_doc("consent_outdated"))
    def post(self, data):
        """Agree to the privacy notice's current version (GET /register names it)."""
        operations.give_consent(person_id=current_actor().person_id, version=data["version"])
