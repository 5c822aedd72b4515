"""`/api/v1/me/notices`: my inbox through the API."""

from __future__ import annotations

from points.board import operations as board_ops


def test_list_my_notices_newest_first_in_chinese(make_person, tell, api_as):
    person = make_person()
    tell(person, title="扫雪")
    tell(person, kind="voucher_ready", ref=("voucher", 7), item="大米")

    body = api_as(person).get("/api/v1/me/notices").get_json()

    assert body["total"] == 2
    assert [n["kind"] for n in body["items"]] == ["voucher_ready", "claim_verified"]
    assert body["items"][0]["text"] == "兑换券已生成：大米，请到领取点出示兑换券"
    assert body["items"][0]["link"] == "/store/vouchers/7"
    assert body["items"][1]["is_read"] is False


def test_i_see_only_my_own_notices(make_person, tell, api_as):
    mine, theirs = make_person(), make_person()
    tell(theirs)

    assert api_as(mine).get("/api/v1/me/notices").get_json()["total"] == 0


def test_mark_one_read_and_count_unread(make_person, tell, api_as):
    person = make_person()
    tell(person)
    tell(person)
    api = api_as(person)
    first = api.get("/api/v1/me/notices").get_json()["items"][0]

    marked = api.post(f"/api/v1/me/notices/{first['id']}/read")

    assert marked.status_code == 200 and marked.get_json()["is_read"] is True
    assert api.get("/api/v1/me/notices/unread").get_json() == {"unread": 1}
    assert api.get("/api/v1/me/notices?unread=true").get_json()["total"] == 1


def test_mark_someone_elses_notice_is_not_found(make_person, tell, api_as):
    owner, other = make_person(), make_person()
    tell(owner)
    notice_id = api_as(owner).get("/api/v1/me/notices").get_json()["items"][0]["id"]

    response = api_as(other).post(f"/api/v1/me/notices/{notice_id}/read")

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "notice_not_found"


def test_mark_all_read(make_person, tell, api_as):
    person = make_person()
    tell(person)
    tell(person)
    api = api_as(person)

    assert api.post("/api/v1/me/notices/read").get_json() == {"marked": 2}
    assert api.get("/api/v1/me/notices/unread").get_json() == {"unread": 0}


def test_notices_need_a_token(client):
    assert client.get("/api/v1/me/notices").status_code == 401


def test_bad_paging_is_a_clear_422(make_person, api_as):
    response = api_as(make_person()).get("/api/v1/me/notices?per_page=1000")

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_answering_an_offer_marks_its_notice_read(board, make_task, actor_of, api_as):
    staff = actor_of(board.staff)
    first = board_ops.dispatch_task(
        actor=staff, task_id=make_task(title="扫雪").id, person_id=board.resident.id
    )
    second = board_ops.dispatch_task(
        actor=staff, task_id=make_task(title="读报").id, person_id=board.resident.id
    )
    api = api_as(board.resident)
    assert api.get("/api/v1/me/notices/unread").get_json()["unread"] == 2

    assert api.post(f"/api/v1/claims/{first.id}/accept").status_code == 200
    assert api.get("/api/v1/me/notices/unread").get_json()["unread"] == 1
    assert api.post(f"/api/v1/claims/{second.id}/decline", json={}).status_code == 200

    items = api.get("/api/v1/me/notices").get_json()["items"]
    assert [(n["kind"], n["is_read"]) for n in items] == [("dispatch_offered", True)] * 2
