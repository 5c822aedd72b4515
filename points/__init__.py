"""红松分: a community's dual points system (红松分 and 兴安分) as a Flask service."""

from __future__ import annotations

import logging

from flask import Flask
from werkzeug.routing import IntegerConverter

import config as settings


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
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from points import api_docs, cli, db, errors, i18n, pages, security, validation
    from points.auth import current as auth_current
    from points.auth import guards as auth_guards
    from points.extensions import api, csrf, limiter

    security.init_app(app)
    validation.use_chinese_messages()
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

    from points.auth.api import blp as auth_api
    from points.board.api import blp as board_api
    from points.checkin.api import blp as checkin_api
    from points.ledger.api import blp as ledger_api
    from points.org.api import blp as org_api
    from points.people.api import blp as people_api

    for blueprint in (auth_api, org_api, people_api, ledger_api, board_api, checkin_api):
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)

    auth_current.init_app(app)
    pages.init_app(app)
    # After CSRF and the rate limits: a forced password change, and sensitive actions that
    # need the password again.
    auth_guards.init_app(app)
    cli.init_app(app)
    return app
