"""Login and logout, changing one's password and confirming it again (CSRF-protected forms)."""

from __future__ import annotations

import secrets

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie
from flask_babel import gettext as _

from points.auth import operations
from points.auth.current import (
    DEVICE_COOKIE,
    current_actor_or_none,
    current_credential,
    log_in_page_session,
    login_required,
)
from points.auth.queries import client_key, device_known
from points.auth.schemas import PasswordConfirmSchema, TokenRequestSchema
from points.db import keep_on_failure
from points.errors import DomainError, ValidationFailed
from points.extensions import limiter, login_account_key
from points.people import operations as people_operations
from points.people.passwords import MIN_LENGTH
from points.people.schemas import PasswordChangeFormSchema
from points.web import field_limits, load_form, page_action, safe_local_path

bp = Blueprint("auth_pages", __name__, template_folder="templates")

DEVICE_COOKIE_DAYS = 5 * 365


def _safe_next(target: str | None) -> str:
    return safe_local_path(target, url_for("home_pages.home"))


def _device() -> str | None:
    """This browser's device cookie (a random value the login page set), if it has a sane one."""
    value = request.cookies.get(DEVICE_COOKIE, "")
    return value if 16 <= len(value) <= 64 else None


def _remember_device(response, device: str | None = None):
    """Give this browser a device cookie if it has none (`device`: the value to give it)."""
    if _device() is None:
        response.set_cookie(
            DEVICE_COOKIE,
            device or secrets.token_urlsafe(24),
            max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        )
    return response


def from_known_device() -> bool:
    """A login from a device that has logged in to this account before is spared the per-account
    limit, so someone hammering the account cannot keep its holder out."""
    return device_known(phone=request.form.get("phone", ""), device=_device())


def _person_key() -> str:
    actor = current_actor_or_none()
    return f"password-account:{actor.person_id}" if actor else f"password-address:{request.remote_addr}"


def _password_limit() -> str:
    return current_app.config["PASSWORD_RATE_LIMIT_ACCOUNT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_ADDRESS"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT_ACCOUNT"],
    key_func=login_account_key,
    methods=["POST"],
    exempt_when=from_known_device,
)
def login():
    if request.method == "GET":
        if current_actor_or_none() is not None:
            return redirect(_safe_next(request.args.get("next")))
        return _login_page()
    try:
        data = load_form(TokenRequestSchema(), request.form)
    except ValidationFailed as exc:
        missing = not (request.form.get("phone", "").strip() and request.form.get("password"))
        return _login_page(error=_("请输入手机号和密码") if missing else exc.translated(), errors=exc.errors)
    try:
        person = operations.authenticate(
            phone=data["phone"],
            password=data["password"],
            client_key=client_key(phone=data["phone"], device=_device(), address=request.remote_addr),
            via="page",
        )
    except DomainError as exc:
        # The failure is counted and audited although the login fails.
        keep_on_failure()
        return _login_page(error=exc.translated())
    # A browser that came without a device cookie gets one now, and this login knows it.
    device = _device() or secrets.token_urlsafe(24)
    log_in_page_session(person, device=device)
    target = _safe_next(request.args.get("next"))
    if person.must_change_password:
        target = url_for("auth_pages.change_password", next=target)
    return _remember_device(redirect(target), device)


def _login_page(*, error: str | None = None, errors: dict | None = None):
    """The login form, again with the phone as typed and why it failed (401) after a POST."""
    page = render_template(
        "login.html",
        error=error,
        errors=errors or {},
        phone=request.form.get("phone", "").strip(),
        limits={name: field_limits(TokenRequestSchema(), name) for name in ("phone", "password")},
    )
    return _remember_device(current_app.make_response((page, 200 if error is None else 401)))


@bp.post("/logout")
def logout():
    credential = current_credential()
    if credential is not None and credential.kind == "page":
        page_action(lambda: operations.end_login_session(session_id=credential.id))
    cookie.clear()
    flash(_("您已退出登录"))
    return redirect(url_for("auth_pages.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit(_password_limit, key_func=_person_key, methods=["POST"])
@login_required
def change_password():
    """Change one's own password; a password set by staff must be changed here first."""
    actor = current_actor_or_none()
    forced = current_credential().must_change_password
    schema = PasswordChangeFormSchema()
    errors: dict = {}
    if request.method == "POST":
        try:
            data = load_form(schema, request.form)
        except ValidationFailed as exc:
            errors = exc.errors or {}
        else:
            del data["new_password_again"]
            person = page_action(lambda: people_operations.change_own_password(actor=actor, **data))
            if person is not None:
                # Every session and token of the person has ended; this browser goes on in a new one.
                log_in_page_session(person, audited=False)
                flash(_("密码已修改，其他设备上的登录已退出"))
                return redirect(_safe_next(request.args.get("next")))
    page = render_template(
        "account_password.html",
        forced=forced,
        errors=errors,
        limits={name: field_limits(schema, name) for name in schema.load_fields},
        min_length=MIN_LENGTH,
    )
    return page, 422 if request.method == "POST" else 200


@bp.route("/account/confirm", methods=["GET", "POST"])
@limiter.limit(_password_limit, key_func=_person_key, methods=["POST"])
@login_required
def confirm_password():
    """Type the password again before a sensitive action (see points.auth.guards)."""
    credential = current_credential()
    schema = PasswordConfirmSchema()
    errors: dict = {}
    if request.method == "POST":
        try:
            data = load_form(schema, request.form)
        except ValidationFailed as exc:
            errors = exc.errors or {}
        else:
            confirmed = page_action(
                lambda: operations.confirm_password(session_id=credential.id, password=data["password"])
            )
            if confirmed is not None:
                return redirect(_safe_next(request.args.get("next")))
    page = render_template("account_confirm.html", errors=errors, limits=field_limits(schema, "password"))
    return page, 422 if request.method == "POST" else 200
