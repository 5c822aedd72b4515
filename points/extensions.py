"""Flask extensions shared by the domains (created here, bound in create_app)."""

from __future__ import annotations

import http

from flask import Flask, current_app, has_app_context, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from flask_wtf import CSRFProtect

from points import errors


class PointsApi(Api):
    """flask-smorest's Api, but every HTTP error is our problem document (or page), and the
    OpenAPI document says so: errors are `application/problem+json` with `ProblemSchema`."""

    ERROR_SCHEMA = errors.ProblemSchema

    def handle_http_exception(self, error):
        return errors.handle_http_exception(error)

    def _register_responses(self):
        # flask-smorest's own, with the problem document's media type instead of application/json.
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, errors.PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, errors.PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


class PointsLimiter(Limiter):
    """Flask-Limiter, but on or off per app (RATELIMIT_ENABLED), not per process.

    Flask-Limiter keeps `enabled` on the one shared extension object, so the
    last app initialised would switch limiting on or off for every other app
    in the process.
    """

    @property
    def enabled(self) -> bool:
        if has_app_context():
            return bool(current_app.config.get("RATELIMIT_ENABLED", self._enabled_default))
        return self._enabled_default

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self._enabled_default = bool(value)

    def init_app(self, app: Flask) -> None:
        # Read `enabled` from the app being set up, not from whichever app is current.
        with app.app_context():
            super().init_app(app)


api = PointsApi()
csrf = CSRFProtect()
limiter = PointsLimiter(key_func=get_remote_address)


def login_account_key() -> str:
    """Rate-limit key for the account being tried, whatever address it comes from.

    A whole station's phones may share one address behind its Wi-Fi, so the
    address limit is loose and this per-account one is tight.
    """
    phone = ""
    if request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("phone"), str):
            phone = body["phone"]
    else:
        phone = request.form.get("phone", "")
    return "login-account:" + phone.strip()[:20]
