"""Registering oneself (from the login page or a scan), the privacy notice and consent, the
codes page of development, staff confirming new accounts, roster imports, and family proxies."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie
from flask_babel import gettext as _

from points.audit.queries import proxies_of
from points.auth.current import (
    ACTING_FOR,
    current_actor,
    current_actor_or_none,
    log_in_page_session,
    login_required,
)
from points.db import keep_on_failure, roll_back_request
from points.errors import DomainError, Forbidden, ValidationFailed
from points.extensions import limiter
from points.onboarding import imports, operations, queries
from points.onboarding.codes import DevelopmentCodeSender, succeeded
from points.onboarding.roster import template_xlsx
from points.onboarding.schemas import CodeRequestSchema, ConsentSchema, RegisterFormSchema
from points.org.models import OrgLevel
from points.org.queries import all_nodes, find_node
from points.people import operations as people_ops
from points.people.models import ProxyCheck, ProxyState
from points.people.proxy_queries import (
    allowed_proxy_actions,
    get_proxy_link,
    proxy_links_in_scope,
    proxy_links_of,
)
from points.people.queries import get_person, person_names
from points.web import field_limits, list_cursor, load_form, page_action, safe_local_path

bp = Blueprint("onboarding_pages", __name__, template_folder="templates")

# What someone asked to consent again may still open.
_OPEN_WHILE_CONSENT_DUE = frozenset(
    {
        "onboarding_pages.consent",
        "onboarding_pages.privacy",
        "auth_pages.logout",
        "auth_pages.login",
        "static",
        "choose_language",
        "text_size",
    }
)


def _next() -> str:
    return safe_local_path(request.args.get("next"), url_for("home_pages.home"))


def _register_phone_key() -> str:
    return "register-phone:" + request.form.get("phone", "").strip()[:32]


def _form_page(*, errors: dict | None = None, error: str | None = None, sent: bool = False, status=200):
    schema = RegisterFormSchema()
    page = render_template(
        "onboarding/register.html",
        form=request.form,
        errors=errors or {},
        error=error,
        sent=sent,
        homes=queries.homes(),
        codes_on=operations.phone_codes_on(),
        version=operations.current_notice_version(),
        limits={name: field_limits(schema, name) for name in ("phone", "name", "password")},
        next_url=request.args.get("next", ""),
        dev_codes=current_app.config.get("ENV_NAME") in ("development", "test"),
    )
    return page, status


@bp.route("/register", methods=["GET", "POST"])
@limiter.shared_limit(
    lambda: current_app.config["REGISTER_RATE_LIMIT_ADDRESS"], scope="register-address", methods=["POST"]
)
@limiter.shared_limit(
    lambda: current_app.config["REGISTER_RATE_LIMIT_PHONE"],
    scope="register-phone",
    key_func=_register_phone_key,
    methods=["POST"],
    deduct_when=succeeded,
)
def register():
    """The registration form; its 获取验证码 button sends a code and shows the form again."""
    if current_actor_or_none() is not None:
        return redirect(_next())
    if request.method == "GET":
        return _form_page()
    if request.form.get("step") == "code":
        return _send_code()
    try:
        data = load_form(RegisterFormSchema(), request.form)
    except ValidationFailed as exc:
        return _form_page(errors=exc.errors, error=exc.translated(), status=422)
    try:
        person = operations.register_person(
            phone=data["phone"],
            name=data["name"],
            grid_id=data["grid_id"],
            password=data["password"],
            consent_version=operations.current_notice_version() if data["consent"] else None,
            code=data.get("code"),
        )
    except DomainError as exc:
        # A wrong code counts against the code's attempts although the registration fails.
        keep_on_failure() if exc.code == "code_invalid" else roll_back_request()
        return _form_page(errors=exc.errors, error=exc.translated(), status=exc.status)
    log_in_page_session(person)
    if person.needs_confirmation:
        flash(_("注册成功。请到社区服务站出示身份证件，工作人员确认后即可获得积分。"), "success")
    else:
        flash(_("注册成功，欢迎！"), "success")
    return redirect(_next())


def _send_code():
    try:
        phone = load_form(CodeRequestSchema(), request.form)["phone"]
        operations.send_code(phone=phone)
    except DomainError as exc:
        roll_back_request()
        return _form_page(errors=exc.errors, error=exc.translated(), status=exc.status)
    return _form_page(sent=True)


@bp.get("/privacy")
def privacy():
    return render_template(
        "onboarding/privacy.html",
        version=operations.current_notice_version(),
        contact=current_app.config.get("PRIVACY_CONTACT", ""),
    )


@bp.route("/consent", methods=["GET", "POST"])
@login_required
def consent():
    """Agree to the privacy notice's current version (asked again when it changes)."""
    actor = current_actor()
    own = actor.proxy_id or actor.person_id
    if request.method == "POST":
        data = load_form(ConsentSchema(), request.form)
        done = page_action(lambda: operations.give_consent(person_id=own, version=data["version"]))
        if done is not None:
            return redirect(_next())
    person = get_person(own)
    return render_template(
        "onboarding/consent.html",
        version=operations.current_notice_version(),
        earlier=person.consent_version,
        next_url=request.args.get("next", ""),
    )


@bp.get("/dev/codes")
def dev_codes():
    """The codes the development sender sent: in development and tests only."""
    if current_app.config.get("ENV_NAME") not in ("development", "test"):
        abort(404)
    return render_template(
        "onboarding/dev_codes.html", codes=list(DevelopmentCodeSender.latest.items())[::-1]
    )


NEW_ACCOUNTS_PER_PAGE = 50


@bp.get("/people/new-accounts")
@login_required
def new_accounts():
    """Self-registered people waiting for staff to confirm them at the desk; grid workers see
    their grids' (phones masked). Every full phone shown is in the audit log."""
    actor = current_actor()
    if not actor.can_somewhere("people.read"):
        raise Forbidden("forbidden", "只有社区工作人员和网格员可以查看新账号")
    found = queries.awaiting_confirmation(actor, cursor=list_cursor(), per_page=NEW_ACCOUNTS_PER_PAGE)
    people_ops.record_phone_views(actor=actor, people=found["items"])
    return render_template("onboarding/new_accounts.html", people=found["items"], found=found)


@bp.post("/people/<int:person_id>/confirm-account")
@login_required
def confirm_account(person_id: int):
    actor = current_actor()
    page_action(
        lambda: operations.confirm_account(actor=actor, person_id=person_id),
        done=_("已确认，该居民可以获得积分了"),
    )
    return redirect(url_for("onboarding_pages.new_accounts"))


# --- roster import ----------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _managed_communities(actor) -> list:
    return [
        node
        for node in all_nodes()
        if node.level == OrgLevel.COMMUNITY and actor.can("people.manage", node.path)
    ]


@bp.route("/people/import", methods=["GET", "POST"])
@login_required
def roster_upload():
    """Upload a roster (xlsx or CSV) for a community; the preview follows, nothing is written."""
    actor = current_actor()
    if not actor.can_somewhere("people.manage"):
        raise Forbidden("forbidden", "只有社区工作人员可以导入名单")
    communities = _managed_communities(actor)
    error = None
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            community_id = int(request.form.get("community_id", ""))
        except ValueError:
            community_id = 0
        made = page_action(
            lambda: imports.upload_roster(
                actor=actor,
                community_id=community_id,
                filename=upload.filename if upload else "",
                data=upload.read(current_app.config["ROSTER_MAX_BYTES"] + 1) if upload else b"",
            )
        )
        if made is not None:
            return redirect(url_for("onboarding_pages.roster_preview", import_id=made.id))
        error = True
    status = 422 if error else 200
    return render_template("onboarding/import.html", communities=communities), status


@bp.get("/people/import/template.xlsx")
@login_required
def roster_template():
    return Response(
        template_xlsx(), mimetype=XLSX, headers={"Content-Disposition": 'attachment; filename="roster.xlsx"'}
    )


@bp.get("/people/import/<int:import_id>")
@login_required
def roster_preview(import_id: int):
    actor = current_actor()
    upload = imports.get_import(actor, import_id)
    views = imports.classify(upload.community_id, upload.rows)
    counts = {state.value: 0 for state in imports.RowState}
    for view in views:
        counts[view.state] += 1
    return render_template(
        "onboarding/import_preview.html",
        upload=upload,
        views=views,
        counts=counts,
        states=imports.RowState.titles(),
        community=find_node(upload.community_id),
    )


@bp.post("/people/import/<int:import_id>/confirm")
@login_required
def roster_confirm(import_id: int):
    actor = current_actor()
    counts = page_action(lambda: imports.confirm_roster(actor=actor, import_id=import_id))
    if counts is not None:
        flash(_("已导入：新增 %(new)s 人，更新 %(changed)s 人，无变化 %(unchanged)s 人", **counts), "success")
    return redirect(url_for("onboarding_pages.roster_preview", import_id=import_id))


# --- family proxies (代办) ------------------------------------------------------------------

# What a family member acting for a relative may open: claiming, asking for help, redeeming,
# and the relative's own lists; everything else (passwords, personal data, staff pages) waits
# until they stop acting.
_WHILE_ACTING = (
    "home_pages.home",
    "board_pages.board",
    "board_pages.task",
    "board_pages.claim",
    "board_pages.claim_action",
    "board_pages.my_claims",
    "demands_pages.",
    "store_pages.index",
    "store_pages.item",
    "store_pages.confirm",
    "store_pages.redeem",
    "store_pages.my_vouchers",
    "store_pages.voucher",
    "store_pages.cancel",
    "store_pages.photo",
    "ledger_pages.my_points",
    "onboarding_pages.family",
    "onboarding_pages.stop_acting",
    "onboarding_pages.consent",
    "onboarding_pages.privacy",
    "auth_pages.logout",
    "static",
    "choose_language",
    "text_size",
)


def _proxy_view(actor, link) -> dict:
    names = person_names({link.proxy_id, link.relative_id})
    return {
        "link": link,
        "proxy_name": names.get(link.proxy_id, ""),
        "relative_name": names.get(link.relative_id, ""),
        "mine": link.proxy_id == (actor.proxy_id or actor.person_id),
        "actions": allowed_proxy_actions(actor, link),
    }


@bp.get("/family")
@login_required
def family():
    """代办: the relatives I act for (and who acts for me), asking to act for a relative."""
    actor = current_actor()
    me = actor.proxy_id or actor.person_id
    return render_template(
        "onboarding/family.html",
        links=[_proxy_view(actor, link) for link in proxy_links_of(me)],
        states=ProxyState.titles(),
    )


@bp.post("/family/request")
@login_required
def request_proxy():
    actor = current_actor()
    page_action(
        lambda: people_ops.request_proxy_link(
            actor=actor,
            relative_phone=request.form.get("relative_phone", ""),
            note=request.form.get("note", ""),
        ),
        done=_("已申请。请陪同家人到社区服务站，由工作人员核对证件后确认。"),
    )
    return redirect(url_for("onboarding_pages.family"))


@bp.post("/family/<int:link_id>/act")
@login_required
def act_for(link_id: int):
    """Start acting for the relative of an active link of mine."""
    actor = current_actor()
    link = get_proxy_link(link_id)
    if actor.proxy_id is not None or link.proxy_id != actor.person_id or link.state != ProxyState.ACTIVE:
        abort(404)
    cookie[ACTING_FOR] = link.relative_id
    return redirect(url_for("home_pages.home"))


@bp.post("/family/stop")
@login_required
def stop_acting():
    cookie.pop(ACTING_FOR, None)
    return redirect(url_for("onboarding_pages.family"))


@bp.post("/family/<int:link_id>/end")
@login_required
def end_proxy(link_id: int):
    actor = current_actor()
    page_action(lambda: people_ops.end_proxy_link(actor=actor, link_id=link_id), done=_("代办关系已结束"))
    if request.form.get("back") == "desk":
        return redirect(url_for("onboarding_pages.proxy_desk"))
    return redirect(url_for("onboarding_pages.family"))


@bp.get("/people/proxy-links")
@login_required
def proxy_desk():
    """Staff: links waiting for the relative's confirmation at the desk, and those in force."""
    actor = current_actor()
    if not actor.can_somewhere("people.manage"):
        raise Forbidden("forbidden", "只有社区工作人员可以确认代办关系")
    return render_template(
        "onboarding/proxy_desk.html",
        links=[_proxy_view(actor, link) for link in proxy_links_in_scope(actor)],
        checks=ProxyCheck.titles(),
        states=ProxyState.titles(),
    )


@bp.post("/people/proxy-links/<int:link_id>/confirm")
@login_required
def confirm_proxy(link_id: int):
    actor = current_actor()
    page_action(
        lambda: people_ops.confirm_proxy_link(
            actor=actor,
            link_id=link_id,
            check_kind=request.form.get("check_kind", ""),
            check_note=request.form.get("check_note", ""),
        ),
        done=_("已确认代办关系"),
    )
    return redirect(url_for("onboarding_pages.proxy_desk"))


def consent_due() -> bool:
    """Whether the logged-in person has not agreed to the current privacy notice."""
    actor = current_actor_or_none()
    if actor is None:
        return False
    # A family member acting for a relative answers for their own consent, never the relative's.
    own = actor.proxy_id or actor.person_id
    return get_person(own).consent_version != operations.current_notice_version()


def proxy_name_of(target_type: str, target_id: int | None) -> str | None:
    """For templates: the family member who did this for the person (由 X 代办), if one did."""
    if target_id is None:
        return None
    proxy_id = proxies_of(target_type, [target_id]).get(target_id)
    return person_names({proxy_id}).get(proxy_id) if proxy_id is not None else None


def proxy_names_of(target_type: str, target_ids: list[int]) -> dict[int, str]:
    """For templates listing many: target id -> the family member who did it (two reads)."""
    proxies = proxies_of(target_type, target_ids) if target_ids else {}
    names = person_names(set(proxies.values())) if proxies else {}
    return {target: names[proxy] for target, proxy in proxies.items() if proxy in names}


def init_app(app: Flask) -> None:
    app.jinja_env.globals["proxy_name_of"] = proxy_name_of
    app.jinja_env.globals["proxy_names_of"] = proxy_names_of

    @app.before_request
    def _ask_for_consent():
        """Pages ask whoever has not agreed to the current privacy notice to read it first."""
        if not app.config.get("CONSENT_REQUIRED_AT_LOGIN") or request.path.startswith("/api/"):
            return None
        if request.endpoint in _OPEN_WHILE_CONSENT_DUE or request.endpoint is None:
            return None
        try:
            due = consent_due()
        except DomainError:
            return None
        if due:
            return redirect(url_for("onboarding_pages.consent", next=request.full_path.rstrip("?")))
        return None

    @app.before_request
    def _only_what_a_proxy_may():
        """A family member acting for a relative opens only the pages 代办 is for."""
        if request.path.startswith("/api/") or request.endpoint is None:
            return None
        try:
            actor = current_actor_or_none()
        except DomainError:
            return None
        if actor is None or actor.proxy_id is None or request.endpoint.startswith(_WHILE_ACTING):
            return None
        flash(_("正在为家人代办：请先结束代办，再做其他操作。"), "error")
        return redirect(url_for("onboarding_pages.family"))
