"""Bad input and faults answer RFC 9457 problem documents under /api, Chinese pages elsewhere."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from points.db import session, utcnow

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith(code)
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.fixture
def staff(make_node, make_person):
    community = make_node("community")
    return make_person(community=community, roles=[("staff", community)])


def test_post_malformed_json_is_400_malformed_json(staff, api_as):
    r = api_as(staff).post("/api/v1/people", data='{"name": "张三",', content_type="application/json")
    assert_problem(r, 400, "malformed_json")


def test_post_wrong_types_is_422_with_field_errors(staff, api_as):
    r = api_as(staff).post(
        "/api/v1/people",
        json={"phone": 13800000000, "name": "张三", "community_id": "one", "is_party_member": "maybe"},
    )
    body = assert_problem(r, 422, "validation_error")
    assert set(body["errors"]) == {"phone", "community_id", "is_party_member"}
    assert all(isinstance(messages, list) and messages for messages in body["errors"].values())


def test_post_missing_fields_is_422_naming_each(staff, api_as):
    r = api_as(staff).post("/api/v1/people", json={"name": "张三"})
    body = assert_problem(r, 422, "validation_error")
    assert set(body["errors"]) == {"phone", "community_id"}


def test_post_unknown_field_is_422_naming_it(staff, api_as):
    r = api_as(staff).post(
        "/api/v1/people",
        json={"phone": "13800000000", "name": "张三", "community_id": staff.community_id, "is_admin": True},
    )
    body = assert_problem(r, 422, "validation_error")
    assert list(body["errors"]) == ["is_admin"]


def test_post_invalid_value_is_422(staff, api_as):
    r = api_as(staff).post(
        "/api/v1/people", json={"phone": "12345", "name": "张三", "community_id": staff.community_id}
    )
    body = assert_problem(r, 422, "validation_error")
    assert list(body["errors"]) == ["phone"]


def test_post_json_array_body_is_422(staff, api_as):
    r = api_as(staff).post("/api/v1/people", json=[1, 2])
    assert_problem(r, 422, "validation_error")


def test_get_wrong_query_type_is_422(staff, api_as):
    r = api_as(staff).get("/api/v1/people", query_string={"per_page": "many"})
    body = assert_problem(r, 422, "validation_error")
    assert list(body["errors"]) == ["per_page"]


def test_post_oversized_json_is_413(app, staff, api_as):
    size = app.config["MAX_CONTENT_LENGTH"] + 1
    body = '{"name": "' + "x" * size + '"}'
    r = api_as(staff).post("/api/v1/people", data=body, content_type="application/json")
    assert_problem(r, 413, "payload_too_large")


def test_post_oversized_without_json_type_is_413(app, staff, api_as):
    data = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    r = api_as(staff).post("/api/v1/people", data=data, content_type="application/octet-stream")
    assert_problem(r, 413, "payload_too_large")


def test_post_oversized_is_413_before_authentication(app, client):
    data = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    r = client.post("/api/v1/auth/token", data=data)
    assert_problem(r, 413, "payload_too_large")


def test_post_form_body_to_json_endpoint_is_415(staff, api_as):
    r = api_as(staff).post("/api/v1/people", data={"name": "张三"})
    assert_problem(r, 415, "unsupported_media_type")


def test_post_text_body_to_json_endpoint_is_415(staff, api_as):
    r = api_as(staff).post("/api/v1/people", data="name=张三", content_type="text/plain")
    assert_problem(r, 415, "unsupported_media_type")


def test_patch_unknown_api_route_is_404_problem(staff, api_as):
    assert_problem(api_as(staff).get("/api/v1/no-such-thing"), 404, "not_found")
    assert_problem(api_as(staff).patch("/api/v1/people/1/nothing", json={}), 404, "not_found")


def test_get_unknown_api_route_without_token_is_404_problem(client):
    assert_problem(client.get("/api/v2/people"), 404, "not_found")


def test_put_on_post_only_route_is_405_with_allow(staff, api_as):
    r = api_as(staff).put("/api/v1/people", json={})
    assert_problem(r, 405, "method_not_allowed")
    allowed = {m.strip() for m in r.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed
    assert "PUT" not in allowed


def test_get_with_unexpected_error_is_500_without_detail(client, staff, api_as, monkeypatch, caplog):
    from points.org import queries

    def explode():
        raise RuntimeError("secret-detail")

    monkeypatch.setattr(queries, "tree", explode)
    with caplog.at_level(logging.ERROR):
        r = api_as(staff).get("/api/v1/org/tree")
    body = assert_problem(r, 500, "internal_error")
    text = r.get_data(as_text=True)
    assert "secret-detail" not in text
    assert "Traceback" not in text
    assert "RuntimeError" not in text
    assert body["detail"]
    # The operator still gets the whole story in the log.
    assert any(rec.exc_info and "secret-detail" in str(rec.exc_info[1]) for rec in caplog.records)


def test_get_page_with_unexpected_error_is_chinese_500_page(client, staff, monkeypatch):
    from points.people import queries

    def explode(_person_id):
        raise RuntimeError("secret-detail")

    client.post("/login", data={"phone": staff.phone, "password": "password123"})
    monkeypatch.setattr(queries, "member_registration", explode)
    r = client.get("/")
    assert r.status_code == 500
    assert r.mimetype == "text/html"
    text = r.get_data(as_text=True)
    assert "服务器" in text
    assert "secret-detail" not in text
    assert "Traceback" not in text


def test_get_me_without_token_is_401_with_challenge(client):
    r = client.get("/api/v1/me")
    assert_problem(r, 401, "unauthorized")
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "not-even-a-scheme"]
)
def test_get_me_with_bad_authorization_is_401(client, header):
    r = client.get("/api/v1/me", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.mimetype == "application/problem+json"
    assert r.json["code"] in {"unauthorized", "invalid_token"}
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_get_me_with_unknown_token_is_401_invalid_token(client):
    r = client.get("/api/v1/me", headers={"Authorization": "Bearer abcdefghijklmnopqrstuvwxyz0123456789"})
    assert_problem(r, 401, "invalid_token")
    assert "WWW-Authenticate" in r.headers


def test_get_me_with_expired_token_is_401(client, make_person):
    from points.auth.operations import issue_token

    person = make_person()
    token, _ = issue_token(person=person, now=utcnow() - timedelta(days=365))
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert_problem(r, 401, "invalid_token")
    assert "WWW-Authenticate" in r.headers


def test_get_me_with_revoked_token_is_401(client, make_person):
    from points.auth.operations import issue_token, revoke_token

    person = make_person()
    token, row = issue_token(person=person)
    revoke_token(token_id=row.id)
    session().commit()
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert_problem(r, 401, "invalid_token")
    assert "WWW-Authenticate" in r.headers


def test_domain_errors_are_problems_too(staff, api_as):
    other = api_as(staff).get("/api/v1/people/999999999")
    assert_problem(other, 404, "person_not_found")


def test_openapi_documents_errors_as_problem_documents(client, staff, api_as):
    """Every operation's errors (its `default`, its 422 and the ones it names) are documented as
    application/problem+json with the document's real members, so clients and schema checks
    read them as they are answered."""
    spec = client.get("/api/v1/openapi.json").get_json()
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == PROBLEM_KEYS
    assert problem["properties"]["code"]["type"] == "string"
    assert problem["properties"]["status"]["type"] == "integer"
    for name in ("DEFAULT_ERROR", "UNPROCESSABLE_ENTITY"):
        assert spec["components"]["responses"][name]["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    login = spec["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert set(login["401"]["content"]) == {"application/problem+json"}
    # An answer has no member the document does not name.
    body = assert_problem(
        api_as(staff).post("/api/v1/people", json={"name": "张三"}), 422, "validation_error"
    )
    assert set(body) <= set(problem["properties"])


def test_get_unknown_page_is_chinese_html(client):
    r = client.get("/no-such-page")
    assert r.status_code == 404
    assert r.mimetype == "text/html"
    text = r.get_data(as_text=True)
    assert "未找到" in text
    assert "页面不存在" in text
    assert "The requested URL" not in text
    assert "problem" not in r.content_type


def test_post_page_with_wrong_method_is_chinese_html(client):
    r = client.put("/login")
    assert r.status_code == 405
    assert r.mimetype == "text/html"
    assert "不支持" in r.get_data(as_text=True)
    assert "POST" in r.headers["Allow"]


def test_post_oversized_form_to_page_is_chinese_413(app, client):
    data = {"phone": "1" * (app.config["MAX_CONTENT_LENGTH"] + 1), "password": "x"}
    r = client.post("/login", data=data)
    assert r.status_code == 413
    assert r.mimetype == "text/html"
    assert "过大" in r.get_data(as_text=True)


class _Busy(Exception):
    sqlstate = "40P01"


def test_a_deadlock_answers_503_with_retry_after(make_node, make_person, api_as, monkeypatch):
    from points.people import queries as people_queries

    community = make_node("community")
    person = make_person(community=community)

    def deadlock(_person_id):
        raise _Busy("deadlock detected")

    monkeypatch.setattr(people_queries, "role_list", deadlock)
    response = api_as(person).get("/api/v1/me")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json["code"] == "busy_retry"
    assert "deadlock" not in response.get_data(as_text=True)
