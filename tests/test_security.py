"""Safe defaults: a secret key of each installation's own, and production settings that refuse to
start half-configured."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from config import DevelopmentConfig, TestConfig
from points import create_app, security

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
