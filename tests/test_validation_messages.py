"""Field errors from length, range and choice checks: in the page language on pages, without
raw codes in a choice error; in Chinese, naming the codes, in the API."""

from __future__ import annotations

from points.demo.plan import DEMO_PASSWORD, LOGINS
from points.supervision.models import Detector

PHONES = {login.key: login.phone for login in LOGINS}


def _client(app, key: str):
    client = app.test_client()
    answer = client.post("/login", data={"phone": PHONES[key], "password": DEMO_PASSWORD})
    assert answer.status_code == 302
    return client


def test_a_choice_error_on_a_page_names_no_codes(demo):
    app, _ = demo
    client = _client(app, "supervisor")
    chinese = client.get("/flags?detector=bogus").get_data(as_text=True)
    assert "请从列表中选择" in chinese and "mutual_approvals" not in chinese.split("</select>")[-1]
    assert "应为以下之一" not in chinese
    english = client.get("/flags?detector=bogus&lang=en").get_data(as_text=True)
    assert "Please choose from the list" in english and "请从列表中选择" not in english


def test_length_and_range_errors_follow_the_page_language(demo):
    app, _ = demo
    form = {"phone": "13812345678", "name": "赵大爷", "password": "short", "password_again": "short"}
    form |= {"consent": "1", "step": "register", "grid_id": "0"}
    english = app.test_client().post("/register?lang=en", data=form).get_data(as_text=True)
    assert "Length must be between 8 and 128" in english and "长度应在" not in english
    chinese = app.test_client().post("/register", data=form).get_data(as_text=True)
    assert "长度应在 8 到 128 之间" in chinese


def test_the_api_keeps_its_chinese_messages_and_codes(demo):
    app, _ = demo
    client = app.test_client()
    client.set_cookie("lang", "en")
    token = client.post(
        "/api/v1/auth/token?lang=en", json={"phone": PHONES["supervisor"], "password": DEMO_PASSWORD}
    ).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    bad = client.get("/api/v1/flags?detector=bogus&lang=en", headers=headers)
    assert bad.status_code == 422
    assert bad.json["errors"]["detector"] == ["应为以下之一：" + ", ".join(Detector.values())]
    long = client.post("/api/v1/auth/token?lang=en", json={"phone": "1" * 30, "password": "x"})
    assert long.status_code == 422 and long.json["errors"]["phone"] == ["长度应在 1 到 20 之间"]
    page = client.get("/api/v1/flags?per_page=0&lang=en", headers=headers)
    assert page.status_code == 422 and page.json["errors"]["per_page"] == ["应不小于 1 且不大于 100"]
