"""Rules found in review: who sees resources."""

from __future__ import annotations

from points.demands import operations as ops


def test_resources_list_shows_staff_everything_and_others_their_own(board, api_as, actor_of, make_person):
    ops.declare_resource(
        actor=actor_of(board.member),
        community_id=board.community.id,
        category="便民服务",
        description="修家电",
    )
    ops.declare_resource(
        actor=actor_of(board.unit_admin),
        unit_id=board.unit.id,
        community_id=board.community.id,
        category="政策宣讲",
        description="宣讲团",
    )

    def listed(who):
        return {r["description"] for r in api_as(who).get("/api/v1/resources").json["items"]}

    assert listed(board.staff) == {"修家电", "宣讲团"}
    assert listed(board.member) == {"修家电"}
    assert listed(board.unit_admin) == {"宣讲团"}
    assert listed(board.resident) == set()
    assert listed(board.outsider) == set()
