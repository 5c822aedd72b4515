"""Personal data (PIPL): seeing and downloading everything held about me, closing my account,
and every full phone number shown to staff in the audit log."""

from __future__ import annotations

import io
import json

import openpyxl
import sqlalchemy as sa

from points.audit.models import AuditEntry
from points.db import session
from points.ledger.queries import balances_of_person
from points.ledger.verify import verify_ledger
from points.notices.models import NoticeKind
from points.notices.operations import NewNotice, notify
from points.onboarding.operations import give_consent
from points.people.models import Person
from tests.builders import award_points


def award(person, amount=7):
    award_points(person.community_id, person.id, amount, f"my-data:{person.id}:{amount}")


def test_my_data_holds_every_section_and_no_secret(make_person, api_as):
    person = make_person(name="赵秀英")
    give_consent(person_id=person.id, version="2026-11-26")
    award(person)
    notify([NewNotice(person.id, NoticeKind.CLAIM_VERIFIED, {"title": "扫雪"}, "claim", 1)])

    data = api_as(person).get("/api/v1/me/data").get_json()

    assert data["profile"][0]["name"] == "赵秀英" and data["profile"][0]["phone"] == person.phone
    assert "password_hash" not in data["profile"][0]
    assert [c["version"] for c in data["consents"]] == ["2026-11-26"]
    assert [(row["amount"], row["balance"]) for row in data["statement"]] == [(7, 7)]
    assert data["notices"][0]["params"] == {"title": "扫雪"}
    assert set(data) >= {"claims", "checkins", "demands", "vouchers", "registrations", "roles"}


def test_my_data_downloads_as_json_and_xlsx(make_person, page_as):
    person = make_person(name="赵秀英")
    award(person)
    browser = page_as(person)

    page = browser.get("/me/data").get_data(as_text=True)
    as_json = browser.get("/me/data.json")
    as_xlsx = browser.get("/me/data.xlsx")

    assert "下载 JSON" in page and "注销账号" in page
    assert json.loads(as_json.data)["profile"][0]["name"] == "赵秀英"
    book = openpyxl.load_workbook(io.BytesIO(as_xlsx.data))
    header, values = list(book["profile"].iter_rows(values_only=True))[:2]
    profile = dict(zip(header, values, strict=True))
    assert "statement" in book.sheetnames and (profile["id"], profile["name"]) == (person.id, "赵秀英")
    assert "password_hash" not in profile


def test_close_account_erases_name_and_phone_and_keeps_the_ledger(make_person, page_as, client, actor_of):
    person = make_person(name="赵秀英")
    award(person, 9)
    phone = person.phone
    before = balances_of_person(person.id)
    browser = page_as(person)

    refused = browser.post("/me/close", data={"password": "wrong-password"}, follow_redirects=True)
    assert "密码不正确" in refused.get_data(as_text=True)
    closed = browser.post("/me/close", data={"password": "password123"})

    assert closed.status_code == 302 and "/login" in closed.headers["Location"]
    session().expire_all()
    row = session().get(Person, person.id)
    assert (row.name, row.phone, row.password_hash) == ("已注销用户", f"closed:{person.id}", None)
    assert row.closed_at is not None
    assert balances_of_person(person.id) == before
    assert verify_ledger().ok
    assert browser.get("/").status_code == 302
    login = client.post("/login", data={"phone": phone, "password": "password123"})
    assert login.status_code == 401


def test_closing_keeps_flask_points_verify_ok_and_staff_see_the_same_statement(
    app, make_person, make_node, page_as, api_as
):
    community = make_node("community")
    staff = make_person(community=community, roles=[("staff", community)])
    person = make_person(community=community, name="赵秀英")
    award(person, 9)
    award(person, 4)
    desk = api_as(staff)

    def as_staff_sees():
        statement = desk.get(f"/api/v1/people/{person.id}/statement?kind=xingan").get_json()
        rows = [(r["id"], r["amount"], r["change"], r["balance"]) for r in statement["items"]]
        return rows, desk.get(f"/api/v1/people/{person.id}/balances").get_json()

    before = as_staff_sees()
    assert page_as(person).post("/me/close", data={"password": "password123"}).status_code == 302

    verified = app.test_cli_runner().invoke(args=["points", "verify", "--no-record"])
    assert verified.exit_code == 0, verified.output
    assert "\nOK: 2 transfers" in verified.output
    assert as_staff_sees() == before and before[0]
    assert "已注销用户" in page_as(staff).get(f"/people/{person.id}").get_data(as_text=True)


def test_close_account_through_the_api(make_person, api_as):
    person = make_person()
    api = api_as(person)

    wrong = api.post("/api/v1/me/close", json={"password": "nope"})
    assert wrong.status_code == 422 and wrong.get_json()["code"] == "invalid_credentials"
    assert api.post("/api/v1/me/close", json={"password": "password123"}).status_code == 204
    assert api.get("/api/v1/me").status_code == 401


def test_someone_with_a_role_cannot_close_their_account(make_person, make_node, api_as):
    community = make_node("community")
    staff = make_person(community=community, roles=[("staff", community)])

    response = api_as(staff).post("/api/v1/me/close", json={"password": "password123"})

    assert response.status_code == 409 and response.get_json()["code"] == "holds_roles"


def phone_views() -> list[tuple[int, int]]:
    session().flush()
    rows = session().execute(
        sa.select(AuditEntry.actor_id, AuditEntry.target_id).where(AuditEntry.action == "person.phone_viewed")
    )
    return sorted(tuple(r) for r in rows)


def test_every_full_phone_shown_to_staff_is_audited(make_person, make_node, api_as, page_as):
    community = make_node("community")
    staff = make_person(community=community, roles=[("staff", community)])
    resident = make_person(community=community)

    api_as(staff).get(f"/api/v1/people/{resident.id}")
    page_as(staff).get("/people")
    page_as(staff).get(f"/people/{resident.id}")
    api_as(resident).get(f"/api/v1/people/{resident.id}")

    assert phone_views() == [(staff.id, resident.id)] * 3
