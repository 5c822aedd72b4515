"""Safe defaults: a secret key of each installation's own, production settings that refuse to
start half-configured, and security headers on every answer."""

from __future__ import annotations

import multiprocessing
import os
import re
import stat
from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from config import DevelopmentConfig, TestConfig
from points import security
from points.app import create_app

POINTS = Path(__file__).resolve().parents[1] / "points"
OLD_DEVELOPMENT_KEY = "dev-only-secret-key"
PRODUCTION = {
    "ENV_NAME": "production",
    "SECRET_KEY": "kJ0f8s2Vq9yX3mB7nL5pR1tW6zC4hG8dE2aU0iO9",
    "DATABASE_URL": "postgresql://points@db.example/points",
    "PUBLIC_BASE_URL": "https://points.example.cn",
}


def settings(**overrides) -> dict:
    return {**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}, **overrides}


# --- the secret key ---------------------------------------------------------------------


def test_fresh_instance_folder_gets_a_private_key_file_that_the_next_start_reuses(tmp_path):
    folder = tmp_path / "instance"

    first = create_app(settings(SECRET_KEY=None), instance_path=str(folder))
    second = create_app(settings(SECRET_KEY=None), instance_path=str(folder))

    key_file = folder / security.SECRET_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.secret_key) >= 32 and first.secret_key != OLD_DEVELOPMENT_KEY
    assert second.secret_key == first.secret_key == key_file.read_text().strip()
    assert os.listdir(folder) == [security.SECRET_KEY_FILE]


def test_other_instance_folders_get_other_keys(tmp_path):
    one = create_app(settings(SECRET_KEY=None), instance_path=str(tmp_path / "one"))
    two = create_app(settings(SECRET_KEY=None), instance_path=str(tmp_path / "two"))

    assert one.secret_key != two.secret_key


def _start(folder: str, go, keys) -> None:
    go.wait()
    keys.put(security.instance_secret_key(folder))


def test_processes_starting_at_once_share_one_key(tmp_path):
    spawn = multiprocessing.get_context("spawn")
    go, keys = spawn.Event(), spawn.Queue()
    starts = [spawn.Process(target=_start, args=(str(tmp_path), go, keys)) for _ in range(6)]
    for process in starts:
        process.start()
    go.set()
    seen = [keys.get(timeout=60) for _ in starts]
    for process in starts:
        process.join(timeout=60)

    assert len(set(seen)) == 1
    assert seen[0] == (tmp_path / security.SECRET_KEY_FILE).read_text().strip()
    assert os.listdir(tmp_path) == [security.SECRET_KEY_FILE]


def test_a_start_that_loses_the_race_reads_the_key_that_won(tmp_path, monkeypatch):
    link = os.link

    def another_process_first(source, target):
        Path(target).write_text("the-key-another-process-wrote-first-0123456789\n")
        link(source, target)

    monkeypatch.setattr(security.os, "link", another_process_first)

    assert security.instance_secret_key(tmp_path) == "the-key-another-process-wrote-first-0123456789"
    assert os.listdir(tmp_path) == [security.SECRET_KEY_FILE]


def test_a_secret_key_in_the_settings_wins_and_no_file_is_made(tmp_path):
    app = create_app(
        settings(SECRET_KEY="from-the-environment-0123456789-abcdef"), instance_path=str(tmp_path)
    )

    assert app.secret_key == "from-the-environment-0123456789-abcdef"
    assert not (tmp_path / security.SECRET_KEY_FILE).exists()


def test_tests_keep_their_fixed_key():
    assert TestConfig.SECRET_KEY == "test-secret-key-not-for-production"


def test_cookie_signed_with_the_old_development_key_is_refused(app_with, make_person, save, tmp_path):
    # The development settings as they come, without SECRET_KEY in the environment.
    development = app_with(SECRET_KEY=DevelopmentConfig.SECRET_KEY, instance_path=tmp_path)
    resident = make_person()
    save()
    own = development.test_client()
    assert own.post("/login", data={"phone": resident.phone, "password": "password123"}).status_code == 302
    name = development.config["SESSION_COOKIE_NAME"]
    contents = development.session_interface.get_signing_serializer(development).loads(
        own.get_cookie(name).value
    )
    # Anyone could sign the same contents with the key that used to be embedded.
    forger = Flask("forger")
    forger.secret_key = OLD_DEVELOPMENT_KEY
    forged = SecureCookieSessionInterface().get_signing_serializer(forger).dumps(dict(contents))
    stranger = development.test_client()
    stranger.set_cookie(name, forged)

    refused = stranger.get("/")

    assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    assert own.get("/").status_code == 200


# --- production settings ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "value"),
    [
        ("SECRET_KEY", None),
        ("SECRET_KEY", OLD_DEVELOPMENT_KEY),
        ("SECRET_KEY", "short"),
        ("DATABASE_URL", None),
        ("PUBLIC_BASE_URL", None),
        ("PUBLIC_BASE_URL", "points.example.cn"),
        ("PUBLIC_BASE_URL", "ftp://points.example.cn"),
    ],
)
def test_production_refuses_to_start_without(missing, value, tmp_path):
    with pytest.raises(RuntimeError, match=missing):
        create_app(settings(**{**PRODUCTION, missing: value}), instance_path=str(tmp_path))

    # Least of all does it make a key of its own.
    assert not (tmp_path / security.SECRET_KEY_FILE).exists()


def test_production_starts_with_its_settings(tmp_path):
    app = create_app(settings(**PRODUCTION), instance_path=str(tmp_path))

    assert app.secret_key == PRODUCTION["SECRET_KEY"]
    assert not (tmp_path / security.SECRET_KEY_FILE).exists()


# --- headers ------------------------------------------------------------------------------


def assert_safe_headers(response) -> None:
    headers = response.headers
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert (
        "script-src 'self';" in policy and "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    )
    assert "style-src 'self';" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"


def test_page_answers_carry_the_headers_and_are_not_stored(page_as_for, make_person):
    response = page_as_for(make_person()).get("/")

    assert response.status_code == 200
    assert_safe_headers(response)
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_login_and_error_pages_carry_the_headers(client):
    for response in (client.get("/login"), client.get("/no-such-page")):
        assert_safe_headers(response)
        assert response.headers["Cache-Control"] == "no-store"


def test_private_api_answers_carry_the_headers_and_are_not_stored(api_as, make_person):
    response = api_as(make_person()).get("/api/v1/me")

    assert response.status_code == 200
    assert_safe_headers(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_csv_exports_are_not_stored(api_as, page_as_for, make_person):
    person = make_person()
    exports = (
        api_as(person).get("/api/v1/me/statement?kind=xingan&format=csv"),
        page_as_for(person).get("/points/statement.csv?kind=xingan"),
    )

    for response in exports:
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert_safe_headers(response)
        assert response.headers["Cache-Control"] == "no-store"


def test_public_api_answers_may_be_cached(client):
    for url in ("/api/v1/health", "/api/v1/openapi.json"):
        response = client.get(url)
        assert response.status_code == 200
        assert_safe_headers(response)
        assert "no-store" not in response.headers.get("Cache-Control", "")


def test_docs_page_runs_no_inline_script(client):
    response = client.get("/api/v1/docs")
    html = response.data.decode()

    assert response.status_code == 200
    assert_safe_headers(response)
    # Swagger UI draws its icons as data: images; nothing else is relaxed.
    assert "img-src 'self' data:;" in response.headers["Content-Security-Policy"]
    assert not inline_script(html)
    assert '<script src="/static/api-docs.js">' in html
    for asset in re.findall(r'(?:src|href)="(/api/v1/docs/assets/[^"]+)"', html):
        assert client.get(asset).status_code == 200


def test_docs_page_switched_off_answers_not_found(app_with):
    client = app_with(API_DOCS_ENABLED=False).test_client()

    assert client.get("/api/v1/docs").status_code == 404
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 404
    assert client.get("/api/v1/openapi.json").status_code == 200


# --- no inline script anywhere ------------------------------------------------------------

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
_STYLE = re.compile(r"<[^>]*\sstyle\s*=|<style\b", re.IGNORECASE)


def inline_script(html: str) -> list[str]:
    """What a Content-Security-Policy without 'unsafe-inline' would block."""
    found = []
    for pattern in (_INLINE_SCRIPT, _HANDLER, _STYLE):
        found += [m.group(0) for m in pattern.finditer(html)]
    if "javascript:" in html.lower():
        found.append("javascript:")
    return found


def test_no_template_has_inline_script_handlers_or_styles():
    templates = sorted(POINTS.glob("**/templates/**/*.html"))
    assert len(templates) > 30

    found = {str(t.relative_to(POINTS)): inline_script(t.read_text(encoding="utf-8")) for t in templates}

    assert {name: hits for name, hits in found.items() if hits} == {}


def test_inline_script_check_finds_what_it_looks_for():
    for html in (
        "<script>alert(1)</script>",
        '<button onclick="go()">',
        '<form method="post"\n      onsubmit="return confirm()">',
        '<a href="javascript:go()">',
        '<p style="color: red">',
        "<style>p {}</style>",
    ):
        assert inline_script(html), html
    assert not inline_script('<script src="/static/site.js" defer></script><p class="x" data-confirm="好">')


@pytest.fixture
def page_as_for(app):
    def login(person):
        client = app.test_client()
        assert (
            client.post("/login", data={"phone": person.phone, "password": "password123"}).status_code == 302
        )
        return client

    return login
