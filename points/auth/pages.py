"""Login and logout pages (session cookie, CSRF-protected forms)."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie
from flask_babel import gettext as _

from points.auth import operations
from points.auth.current import current_actor_or_none, log_in_page_session
from points.db import session
from points.errors import DomainError
from points.extensions import limiter, login_account_key
from points.i18n import translate

bp = Blueprint("auth_pages", __name__, template_folder="templates")


def login_required(view):
    """Pages for people who are logged in; others go to the login page and come back."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_actor_or_none() is None:
            return redirect(url_for("auth_pages.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def safe_local_path(target: str | None, default: str) -> str:
    """`target` if it is a path on this site, else `default`."""
    # Only local paths: an open redirect would turn the login page into a phishing aid.
    # Browsers read "/\\host" as "//host" and drop tabs and newlines, so refuse those too.
    if (
        target
        and target.startswith("/")
        and "\\" not in target
        and not any(ch.isspace() or ord(ch) < 32 for ch in target)
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not target.startswith("//"):
            return target
    return default


def _safe_next(target: str | None) -> str:
    return safe_local_path(target, url_for("people_pages.home"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_ADDRESS"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT_ACCOUNT"], key_func=login_account_key, methods=["POST"]
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
                person = operations.authenticate(phone=phone, password=password)
            except DomainError as exc:
                session().commit()  # keep the failure count although the login fails
                error = translate(exc.message) or _("登录失败")
            else:
                log_in_page_session(person)
                return redirect(_safe_next(request.args.get("next")))
    status = 200 if error is None else 401 if request.method == "POST" else 200
    return render_template("login.html", error=error, phone=phone), status


@bp.post("/logout")
def logout():
    cookie.clear()
    flash(_("您已退出登录"))
    return redirect(url_for("auth_pages.login"))
