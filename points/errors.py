"""Domain errors and the one place that turns any error into a response.

Under /api every error is an RFC 9457 problem document, its detail in Chinese whatever
the page language; pages get a readable message in the page language. Unexpected
errors are logged with their traceback and answered `internal_error`: no exception
text ever reaches a client.
"""

from __future__ import annotations

import logging
import re

import marshmallow as ma
from flask import Flask, Response, current_app, has_request_context, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, UnsupportedMediaType

from points.i18n import as_written, translate
from points.labels import N_
from points.validation import Schema

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """A refusal with a stable snake_case code the client can act on.

    A message that names a value keeps a `%(name)s` placeholder for it, filled from
    `values`: the extractor then sees one text to translate, the API reads `message`
    filled in and in Chinese, and a page translates first and fills in after.
    """

    status = 400
    code = "bad_request"

    def __init__(
        self,
        code: str | None = None,
        message: str = "",
        status: int | None = None,
        *,
        errors: dict | None = None,
        values: dict | None = None,
        refusals: dict | None = None,
    ):
        self.refusals = refusals
        self.source = message
        self.values = values or {}
        self.message = message % self.values if self.values else message
        super().__init__(self.message or code or self.code)
        if code:
            self.code = code
        if status:
            self.status = status
        self.errors = errors

    def translated(self) -> str:
        """The message in the page language (as it is when the catalogue lacks it)."""
        return translate(self.source, **self.values)

    def as_refusal(self) -> dict:
        """The refusal as data to keep (a column, a problem document): its code, the message
        before translation and the values that fill it, so it is put into words when read."""
        return {"code": self.code, "message": self.source, "values": self.values}


def refusal_text(refusal: dict | None, gettext=translate) -> str:
    """A kept refusal (`DomainError.as_refusal`) in words: the page's language through `gettext`,
    or the API's Chinese through `points.i18n.as_written`."""
    if not refusal:
        return ""
    return gettext(refusal.get("message") or refusal.get("code", ""), **refusal.get("values", {}))


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"


# Stable codes and human titles for plain HTTP errors. The Chinese titles are also the API's
# details, so they stay Chinese here and are translated only on their way into a page.
_HTTP_CODES = {
    400: ("bad_request", N_("请求格式错误"), "Bad request"),
    401: ("unauthorized", N_("需要登录"), "Authentication required"),
    403: ("forbidden", N_("没有权限"), "Forbidden"),
    404: ("not_found", N_("未找到"), "Not found"),
    405: ("method_not_allowed", N_("不支持该请求方法"), "Method not allowed"),
    409: ("conflict", N_("冲突"), "Conflict"),
    413: ("payload_too_large", N_("请求内容过大"), "Payload too large"),
    415: ("unsupported_media_type", N_("不支持的内容类型"), "Unsupported media type"),
    422: ("validation_error", N_("输入有误"), "Validation failed"),
    428: ("precondition_required", N_("缺少必要的请求头"), "Precondition required"),
    429: ("rate_limited", N_("请求过于频繁，请稍后再试"), "Too many requests"),
    503: ("busy_retry", N_("系统繁忙"), "Service busy"),
    500: ("internal_error", N_("服务器内部错误"), "Internal server error"),
}


# What a page says for a plain HTTP error: werkzeug's descriptions are English.
_PAGE_MESSAGES = {
    400: N_("请求无效，请返回上一页刷新后重试。"),
    401: N_("请先登录。"),
    403: N_("您没有权限访问此页面。"),
    404: N_("您要找的页面不存在，请检查网址是否正确。"),
    405: N_("不支持该操作方式。"),
    413: N_("提交的内容过大，请精简后重试。"),
    415: N_("不支持该内容类型，请以 application/json 发送请求体。"),
    429: N_("操作过于频繁，请稍后再试。"),
}
_CSRF_MESSAGE = N_("页面已过期，请刷新页面后重新提交。")


def _titles(status: int) -> tuple[str, str, str]:
    return _HTTP_CODES.get(status, (f"http_{status}", N_("请求失败"), "Request failed"))


def is_api_request() -> bool:
    return request.path.startswith("/api/")


class ProblemSchema(Schema):
    """The problem document every API error answers with (documentation only; `problem` writes it)."""

    type = ma.fields.String(required=True, metadata={"description": "/api/v1/problems/{code}"})
    title = ma.fields.String(required=True, metadata={"description": "the status's name, in English"})
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True, metadata={"description": "what went wrong, in Chinese"})
    code = ma.fields.String(required=True, metadata={"description": "stable snake_case code to act on"})
    errors = ma.fields.Dict(metadata={"description": "messages per field, for validation errors"})
    refusals = ma.fields.Dict(
        metadata={"description": "per refused item of a bulk action: {code, detail}"},
    )
    request_id = ma.fields.String(metadata={"description": "the X-Request-Id of the request, for support"})


def problem_doc(description: str) -> dict:
    """`blp.alt_response(status, **problem_doc("code_a, code_b"))`: an error an operation names."""
    return {"schema": ProblemSchema, "content_type": PROBLEM_JSON, "description": description}


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    errors: dict | None = None,
    title: str | None = None,
    refusals: dict | None = None,
) -> Response:
    body = {
        "type": f"/api/v1/problems/{code}",
        "title": title or _titles(status)[2],
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    if refusals:
        # Each refused item's own code and message, e.g. in a bulk action: {id: {code, detail}}.
        body["refusals"] = refusals
    if has_request_context() and request.environ.get("points.request_id"):
        # The same id as the X-Request-Id header and the request's log line.
        body["request_id"] = request.environ["points.request_id"]
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    return response


def _page(status: int, message: str, values: dict | None = None) -> Response:
    """The error page, in the page language: a refusal's message is translated when the
    catalogue has it, and shown in Chinese otherwise."""
    title = translate(_titles(status)[1])
    response = Response(
        render_template(
            "error.html", status=status, title=title, message=translate(message, **(values or {}))
        ),
        status=status,
        mimetype="text/html",
    )
    return response


def _validation_errors(error: HTTPException) -> dict | None:
    """webargs puts field messages under data.messages, keyed by location."""
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if not isinstance(messages, dict):
        return None
    merged: dict = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            merged.update(location_messages)
        elif isinstance(location_messages, list):
            merged.setdefault("_body", []).extend(location_messages)
    return merged or None


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    code, title_zh, _ = _titles(status)
    errors = _validation_errors(error)
    if status == 400 and errors and "_body" in errors and len(errors) == 1:
        detail = "; ".join(str(m) for m in errors["_body"])
        if "JSON" in detail:
            code, detail = "malformed_json", "请求体不是有效的 JSON"
            errors = None
    elif status == 422:
        detail = "输入有误，请查看 errors 中各字段的说明"
    else:
        detail = _page_message(error, status, title_zh)
    if is_api_request():
        response = problem(status, code, detail, errors=errors)
    else:
        response = _page(status, _page_message(error, status, title_zh))
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    if status == 429:
        retry = getattr(error, "retry_after", None)
        if retry:
            response.headers["Retry-After"] = str(retry)
    return response


def _page_message(error: HTTPException, status: int, title_zh: str) -> str:
    if isinstance(error, CSRFError):
        return _CSRF_MESSAGE
    return _PAGE_MESSAGES.get(status, title_zh)


def handle_domain_error(error: DomainError) -> Response:
    detail = error.message or _titles(error.status)[2]
    if is_api_request():
        refusals = (
            {
                key: {"code": r["code"], "detail": as_written(r["message"], **r["values"])}
                for key, r in error.refusals.items()
            }
            if error.refusals
            else None
        )
        response = problem(error.status, error.code, detail, errors=error.errors, refusals=refusals)
        if error.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    return _page(error.status, error.source or _titles(error.status)[1], error.values)


# PostgreSQL: serialization failure, deadlock, lock timeout. The request rolled back
# whole, so the client can safely retry it (with the same Idempotency-Key).
_RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}


def is_transient(error: BaseException) -> bool:
    """A database conflict that a retry resolves, as opposed to a bug."""
    if getattr(error, "connection_invalidated", False):
        # The server dropped the connection (a restart, a failover): the pool was emptied.
        return True
    original = getattr(error, "orig", None) or error
    if getattr(original, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        return True
    text = str(original).lower()
    return type(original).__name__ == "OperationalError" and ("database is locked" in text or "busy" in text)


def _causes(error: BaseException):
    seen = 0
    while error is not None and seen < 10:
        yield error
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__
        seen += 1


def input_error(error: BaseException) -> DomainError | None:
    """Bad input that only the database or the parser noticed: say so with a 4xx, not a 500."""
    for cause in _causes(error):
        if isinstance(cause, RecursionError):
            return DomainError("malformed_json", "请求体嵌套过深，不是有效的 JSON", 400)
        if isinstance(cause, OverflowError):
            return DomainError("value_out_of_range", "数值或日期超出允许的范围", 422)
        if isinstance(cause, UnicodeError):
            return DomainError("invalid_characters", "文本含有无效字符", 422)
        if type(cause).__name__ == "DataError" and "NUL" in str(cause):
            return DomainError("invalid_characters", "文本含有无效字符", 422)
        if type(cause).__name__ in ("DataError", "NumericValueOutOfRange", "StringDataRightTruncation"):
            return DomainError("value_out_of_range", "数值、日期或文本长度超出允许的范围", 422)
    return None


def handle_unexpected(error: Exception) -> Response:
    refusal = input_error(error)
    if refusal is not None:
        log.info("bad input on %s %s: %r", request.method, request.path, error)
        return handle_domain_error(refusal)
    if is_transient(error):
        log.warning("transient database conflict on %s %s: %s", request.method, request.path, error)
        if is_api_request():
            response = problem(503, "busy_retry", "The service was busy; retry the same request shortly.")
        else:
            response = _page(503, N_("系统繁忙，请稍后重试。"))
        response.headers["Retry-After"] = "1"
        return response
    log.exception("unhandled error on %s %s", request.method, request.path)
    if is_api_request():
        return problem(500, "internal_error", "The server met an unexpected error.")
    return _page(500, N_("服务器出了点问题，请稍后再试。"))


# NUL or a lone surrogate, searched in C: every request's values pass through here, a scan's
# long token among them, and a loop over characters cost more than the rest of the check.
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def has_bad_characters(value) -> bool:
    """NUL or a lone surrogate anywhere in a decoded value (strings, and inside lists and
    dicts, keys included): PostgreSQL cannot store NUL, no encoder writes a lone surrogate,
    and no person types either."""
    if isinstance(value, str):
        return _BAD_CHARACTER.search(value) is not None
    if isinstance(value, dict):
        return any(has_bad_characters(k) or has_bad_characters(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_bad_characters(v) for v in value)
    return False


# Headers whose value is stored as data.
_DATA_HEADERS = ("Idempotency-Key",)


def takes_upload() -> bool:
    """Whether the request's view takes an uploaded file: a view (or MethodView class) marked
    `takes_upload = True` reads multipart bodies, under /api too."""
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(getattr(view, "view_class", view), "takes_upload", False))


def _check_body() -> None:
    """Before any view: refuse oversized bodies, non-JSON bodies under /api, and NUL or lone
    surrogates in what the request carries once decoded (query, form, JSON, data headers),
    whether the body came with a length or chunked."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    uploads = takes_upload()
    if uploads and limit:
        # Room for a photo up to its own limit, so a large one is refused by name, form kept.
        limit = max(limit, 2 * current_app.config.get("PHOTO_MAX_BYTES", 0))
        request.max_content_length = limit
    if limit and request.content_length and request.content_length > limit:
        raise RequestEntityTooLarge()
    if (
        is_api_request()
        and request.method in ("POST", "PUT", "PATCH")
        and (request.content_length or request.headers.get("Transfer-Encoding"))
        and not request.is_json
        and not (uploads and request.mimetype == "multipart/form-data")
    ):
        raise UnsupportedMediaType()
    values = [request.args.to_dict(flat=False), [request.headers.get(h, "") for h in _DATA_HEADERS]]
    if request.is_json:
        values.append(request.get_json(silent=True))
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values.append(request.form.to_dict(flat=False))
    if has_bad_characters(values):
        raise DomainError("invalid_characters", "请求含有不允许的控制字符（NUL）或无效字符", 422)


def init_app(app: Flask) -> None:
    app.before_request(_check_body)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(Exception, handle_unexpected)
