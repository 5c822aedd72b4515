"""The app factory: the composition root, which alone puts every domain together."""

from __future__ import annotations

import gc
import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import config as settings
from points import api_docs, cli, db, errors, i18n, metrics, probes, security, web
from points.auth import api as auth_api
from points.auth import current as auth_current
from points.auth import guards as auth_guards
from points.auth import listeners as auth_listeners
from points.auth import pages as auth_pages
from points.board import api as board_api
from points.board import listeners as board_listeners
from points.board import pages as board_pages
from points.checkin import api as checkin_api
from points.checkin import pages as checkin_pages
from points.demands import api as demands_api
from points.demands import listeners as demands_listeners
from points.demands import pages as demands_pages
from points.evaluation import api as evaluation_api
from points.evaluation import pages as evaluation_pages
from points.extensions import api, csrf, limiter
from points.home import api as home_api
from points.home import pages as home_pages
from points.ledger import api as ledger_api
from points.ledger import pages as ledger_pages
from points.ledger import verify as ledger_verify
from points.notices import api as notices_api
from points.notices import listeners as notices_listeners
from points.notices import pages as notices_pages
from points.onboarding import api as onboarding_api
from points.onboarding import pages as onboarding_pages
from points.org import api as org_api
from points.people import api as people_api
from points.people import pages as people_pages
from points.store import api as store_api
from points.store import pages as store_pages
from points.supervision import api as supervision_api
from points.supervision import pages as supervision_pages

API_BLUEPRINTS = (
    auth_api.blp,
    home_api.blp,
    org_api.blp,
    people_api.blp,
    ledger_api.blp,
    board_api.blp,
    demands_api.blp,
    checkin_api.blp,
    store_api.blp,
    supervision_api.blp,
    notices_api.blp,
    onboarding_api.blp,
    evaluation_api.blp,
)
PAGE_BLUEPRINTS = (
    auth_pages.bp,
    home_pages.bp,
    people_pages.bp,
    ledger_pages.bp,
    board_pages.bp,
    demands_pages.bp,
    checkin_pages.bp,
    store_pages.bp,
    supervision_pages.bp,
    notices_pages.bp,
    onboarding_pages.bp,
    evaluation_pages.bp,
)
# Receivers of the named signals (points.signals) connect when their modules load.
LISTENERS = (auth_listeners, board_listeners, demands_listeners, notices_listeners)


class BoundedInt(IntegerConverter):
    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**53)
        super().__init__(url_map, *args, **kwargs)


def create_app(
    config: type[settings.Config] | dict | None = None, *, instance_path: str | None = None
) -> Flask:
    """Build the app from a config class (default: by POINTS_ENV) plus overrides.

    `instance_path`: the instance folder (SQLite database, secret key); default `instance/`.
    """
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    base = settings.config_from_env() if config is None or isinstance(config, dict) else config
    app.config.from_object(base)
    if isinstance(config, dict):
        app.config.update(config)
    if app.config.get("ENV_NAME") == "production":
        settings.ProductionConfig.check(app.config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic announces each of its plugins at INFO on every command.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if app.config.get("PROXY_HOPS"):
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    security.init_app(app)
    metrics.init_app(app)
    metrics.on_scrape(ledger_verify.export_verification)
    probes.init_app(app)
    # Chinese stays readable in JSON rather than \u-escaped.
    app.json.ensure_ascii = False
    # Ids beyond 2^53 cannot exist: such URLs simply do not match (404), instead of
    # overflowing the database driver.
    app.url_map.converters["int"] = BoundedInt
    db.init_app(app)
    i18n.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    api.init_app(app)
    # flask-smorest registers its own HTTP error handler; ours must win.
    errors.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "POST /api/v1/auth/token"}
    )
    api_docs.init_app(app)

    for blueprint in API_BLUEPRINTS:
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)
    for blueprint in PAGE_BLUEPRINTS:
        app.register_blueprint(blueprint)

    auth_current.init_app(app)
    web.init_app(app)
    home_pages.init_app(app)
    onboarding_pages.init_app(app)
    # After CSRF and the rate limits: a forced password change, and sensitive actions that
    # need the password again.
    auth_guards.init_app(app)
    cli.init_app(app)
    # What building the app made lives as long as the process: the collector need not walk it
    # again on every full collection (one took ~100 ms in the middle of a bulk approval).
    gc.freeze()
    return app
