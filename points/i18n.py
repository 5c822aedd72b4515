"""Page language: Simplified Chinese (the source text) by default, English on request."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask, has_request_context, request
from flask_babel import Babel, get_locale, gettext, refresh

LANGUAGES = {"zh": "中文", "en": "English"}
DEFAULT = "zh"
babel = Babel()


def select_locale() -> str:
    """`?lang=` for one page, else the choice remembered in a cookie, else Chinese.

    Browsers' Accept-Language is not followed: many residents' phones are set to
    English without their knowing, and the service speaks Chinese unless asked."""
    if not has_request_context() or request.path.startswith("/api/"):
        # The API speaks Chinese whatever the page language (so do jobs and commands).
        return DEFAULT
    chosen = request.args.get("lang") or request.cookies.get("lang")
    return chosen if chosen in LANGUAGES else DEFAULT


# A text that both the API and the pages show is put into words by one of these: `as_written`
# for the API, which speaks Chinese whatever the page language, or `translate` for a page.
Gettext = Callable[..., str]


def translate(message: str, **values) -> str:
    """A text made elsewhere (a refusal's message) in the page language, when the catalogue
    has it; otherwise as it is. `values` fill its placeholders once it is translated."""
    # gettext("") answers the catalogue's header, never what a page should show.
    return gettext(message, **values) if message else message


def as_written(message: str, **values) -> str:
    """The Chinese source text with its placeholders filled: what the API says."""
    return message % values if values else message


def page_language() -> str:
    """The value for `<html lang>`."""
    return "en" if str(get_locale()) == "en" else "zh-CN"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config.get("TIMEZONE", "Asia/Shanghai"))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent / "translations")
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(page_language=page_language, languages=LANGUAGES)
    # The locale is cached on the app context, which a request may share with its caller
    # (jobs, tests): choose it afresh for every request.
    app.before_request(refresh)
