"""The board stays light for a phone on a weak signal: its HTML with every style sheet and
script it loads, uncompressed, under 40 KB with a full screen of tasks."""

from __future__ import annotations

import re

LIMIT = 40 * 1024


def test_the_board_with_its_css_and_js_weighs_under_40_kb(board, page_as, make_task):
    for number in range(12):
        make_task(title=f"楼道清扫第{number + 1}组", place="三号楼一至六层")
    make_task(title="党员先锋岗", eligibility="party_members")
    client = page_as(board.resident)
    html = client.get("/board").data
    assert html.count(b"<article") == 13
    assets = re.findall(rb'<(?:link rel="stylesheet" href|script src)="([^"]+)"', html)
    assert assets, "the board loads its style sheet and script"
    weight = len(html) + sum(len(client.get(url.decode()).data) for url in assets)
    assert weight < LIMIT, f"the board weighs {weight} bytes"
