"""NUL and lone surrogates are refused wherever they come in, once decoded: JSON (with or
without a length), forms, query strings and data headers. A refused request changes nothing."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa

from points.demands.models import Demand
from points.errors import has_bad_characters


def _demands(sess) -> int:
    return sess.execute(sa.select(sa.func.count()).select_from(Demand)).scalar_one()


@pytest.fixture
def resident(make_person):
    return make_person()


def test_has_bad_characters_looks_inside_structures():
    assert has_bad_characters({"a": ["ok", {"b": "x\x00y"}]})
    assert has_bad_characters({"k\x00": 1})
    assert has_bad_characters("\ud800")
    assert not has_bad_characters({"a": ["好", 1, None, {"b": "✓"}]})


def test_chunked_json_with_an_escaped_nul_is_refused(resident, api_as, sess):
    body = json.dumps({"category": "助老助残", "details": "买菜\u0000"}).encode()
    assert b"\\u0000" in body
    r = api_as(resident).post(
        "/api/v1/demands",
        input_stream=io.BytesIO(body),
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        # What a server does with a chunked body: no length, the stream ends where it ends.
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert r.status_code == 422 and r.json["code"] == "invalid_characters", r.get_data(as_text=True)
    assert _demands(sess) == 0


def test_json_with_a_lone_surrogate_is_refused(resident, api_as, sess):
    r = api_as(resident).post(
        "/api/v1/demands",
        data='{"category": "助老助残", "details": "\\ud800"}',
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json["code"] == "invalid_characters"
    assert _demands(sess) == 0


def test_form_fields_with_nul_are_refused_on_pages(resident, page_as, sess):
    r = page_as(resident).post("/help", data={"category": "助老助残", "details": "买菜\x00"})
    assert r.status_code == 422
    assert "无效字符" in r.data.decode() or "控制字符" in r.data.decode()
    assert _demands(sess) == 0


def test_query_strings_and_idempotency_keys_with_nul_are_refused(resident, api_as):
    api = api_as(resident)
    assert api.get("/api/v1/tasks", query_string={"q": "a\x00"}).status_code == 422
    r = api.post(
        "/api/v1/demands",
        json={"category": "助老助残", "details": "买菜"},
        headers={"Idempotency-Key": "k\x00"},
    )
    assert r.status_code in (400, 422)
