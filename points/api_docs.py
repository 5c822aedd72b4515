"""The API docs page (Swagger UI) and its assets, served from the installed bundle: no CDN, and
no inline script (its initializer is a static file), so the site's Content-Security-Policy holds."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path

from points.security import DOCS_CONTENT_SECURITY_POLICY

_ASSETS = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"}

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1/docs")


@bp.before_request
def _enabled():
    if not current_app.config.get("API_DOCS_ENABLED", True):
        abort(404)


@bp.get("")
def page():
    html = render_template(
        "api_docs.html", title=current_app.config["API_TITLE"], spec_url=url_for("api-docs.openapi_json")
    )
    return html, {"Content-Security-Policy": DOCS_CONTENT_SECURITY_POLICY}


@bp.get("/assets/<name>")
def asset(name: str):
    if name not in _ASSETS:
        abort(404)
    return send_from_directory(swagger_ui_path, name, max_age=86400)


def init_app(app) -> None:
    app.register_blueprint(bp)
