"""Serves the Swagger UI assets from the installed bundle, so the docs page needs no CDN."""

from __future__ import annotations

from flask import Flask, abort, send_from_directory
from swagger_ui_bundle import swagger_ui_path

_ASSETS = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"}


def init_app(app: Flask) -> None:
    @app.get("/api/v1/docs/assets/<name>")
    def swagger_asset(name: str):
        if name not in _ASSETS:
            abort(404)
        return send_from_directory(swagger_ui_path, name, max_age=86400)
