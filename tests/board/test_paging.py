"""The board's API pages by cursor in the board's own order: no duplicates or gaps while tasks
are posted between pages, and the way back by the previous cursor."""

from __future__ import annotations

from datetime import timedelta

from points.db import utcnow


def test_board_pages_follow_the_board_order_while_tasks_are_posted(board, api_as, make_task):
    now = utcnow()
    made = [make_task(title=f"任务{n}", starts_at=now + timedelta(days=n + 1)) for n in range(7)]
    make_task(title="党员先锋岗", eligibility="party_members", starts_at=now + timedelta(hours=3))
    resident = api_as(board.resident)
    whole = [t["id"] for t in resident.get("/api/v1/tasks", query_string={"per_page": 50}).json["items"]]

    seen, cursor, pages = [], None, []
    while True:
        answer = resident.get(
            "/api/v1/tasks", query_string={"per_page": 3, **({"cursor": cursor} if cursor else {})}
        )
        pages.append(answer)
        seen += [t["id"] for t in answer.json["items"]]
        # A task posted later in the board's order than this page shows up on a later page.
        make_task(title="新任务", starts_at=now + timedelta(days=30 + len(pages)))
        cursor = answer.json["next_cursor"]
        if cursor is None:
            break

    assert [i for i in seen if i in whole] == whole and len(seen) == len(set(seen))
    assert {t.id for t in made} <= set(seen)
    back = resident.get("/api/v1/tasks", query_string={"per_page": 3, "cursor": pages[1].json["prev_cursor"]})
    assert [t["id"] for t in back.json["items"]] == whole[:3]
    assert 'rel="next"' in pages[0].headers["Link"]
