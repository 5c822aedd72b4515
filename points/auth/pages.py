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
from points.db import session
from points.errors import DomainError
from points.extensions import limiter, login_account_key
from points.people import operations as people_operations
from points.people.queries import get_person
from points.web import safe_local_path

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
    if request.method == "GET" and current_actor_or_none() is not None:
        return redirect(_safe_next(request.args.get("next")))
    error = None
    phone = request.form.get("phone", "").strip()
    if request.method == "POST":
        password = request.form.get("password", "")
        if not phone or not password:
            error = _("请输入手机号和密码")
        else:
            try:
                person = operations.authenticate(
                    phone=phone,
                    password=password,
                    client_key=client_key(phone=phone, device=_device(), address=request.remote_addr),
                    via="page",
                )
            except DomainError as exc:
                session().commit()  # keep the failure count and its audit entry although the login fails
                error = exc.translated() or _("登录失败")
            else:
                # A browser that came without a device cookie gets one now, and this login knows it.
                device = _device() or secrets.token_urlsafe(24)
                log_in_page_session(person, device=device)
                target = _safe_next(request.args.get("next"))
                if person.must_change_password:
                    target = url_for("auth_pages.change_password", next=target)
                return _remember_device(redirect(target), device)
    status = 200 if error is None else 401 if request.method == "POST" else 200
    page = render_template("login.html", error=error, phone=phone)
    return _remember_device(current_app.make_response((page, status)))


@bp.post("/logout")
def logout():
    credential = current_credential()
    if credential is not None and credential.kind == "page":
        operations.end_login_session(session_id=credential.id)
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
    error = None
    if request.method == "POST":
        new_password = request.form.get("new_password", "")
        if new_password != request.form.get("new_password_again", ""):
            error = _("两次输入的新密码不一致")
        else:
            try:
                people_operations.change_own_password(
                    actor=actor,
                    old_password=request.form.get("old_password", ""),
                    new_password=new_password,
                )
            except DomainError as exc:
                session().rollback()
                error = exc.translated()
            else:
                # Every session and token of the person has ended; this browser goes on in a new one.
                log_in_page_session(get_person(actor.person_id), audit=False)
                flash(_("密码已修改，其他设备上的登录已退出"))
                return redirect(_safe_next(request.args.get("next")))
    status = 422 if error else 200
    return render_template("account_password.html", error=error, forced=forced), status


@bp.route("/account/confirm", methods=["GET", "POST"])
@limiter.limit(_password_limit, key_func=_person_key, methods=["POST"])
@login_required
def confirm_password():
    """Type the password again before a sensitive action (see points.auth.guards)."""
    credential = current_credential()
    error = None
    if request.method == "POST":
        try:
            operations.confirm_password(session_id=credential.id, password=request.form.get("password", ""))
        except DomainError as exc:
            session().rollback()
            error = exc.translated()
        else:
            return redirect(_safe_next(request.args.get("next")))
    status = 422 if error else 200
    return render_template("account_confirm.html", error=error), status
