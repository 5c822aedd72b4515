"""Walking a keyset list to its end, through the API (`next_cursor`, the `Link` header) and
through a page (its 下一页 links): every row once, in the list's own order."""

from __future__ import annotations

import html
import re

NEXT = re.compile(r'<a href="([^"]*)">(?:下一页|Next)</a>')
PREVIOUS = re.compile(r'<a href="([^"]*)">(?:上一页|Previous)</a>')


def api_walk(get, path: str, *, per_page: int = 2, **params) -> list[int]:
    """The ids of every page of `path`, `per_page` at a time, following `next_cursor`."""
    seen, cursor = [], None
    while True:
        query = {**params, "per_page": per_page, **({"cursor": cursor} if cursor else {})}
        answer = get(path, query_string=query)
        assert answer.status_code == 200, (path, answer.json)
        items = answer.json["items"]
        assert len(items) <= per_page
        seen += [item["id"] for item in items]
        cursor = answer.json["next_cursor"]
        if cursor is None:
            return seen
        assert 'rel="next"' in answer.headers["Link"] and "cursor=" in answer.headers["Link"]
        assert len(seen) < 10_000, "the cursor does not move on"


def assert_api_walk(get, path: str, *, least: int = 3, **params) -> list[int]:
    """Paging `path` two at a time gives the rows of one big page, each once, in its order;
    the second page's previous cursor leads back to the first page. The ids, in order."""
    whole = get(path, query_string={**params, "per_page": 100})
    assert whole.status_code == 200, (path, whole.json)
    ids = [item["id"] for item in whole.json["items"]]
    assert len(ids) >= least, (path, ids)
    assert whole.json["total"] == len(ids) and whole.json["total_capped"] is False
    assert whole.json["next_cursor"] is None and whole.json["prev_cursor"] is None
    walked = api_walk(get, path, **params)
    assert walked == ids and len(set(walked)) == len(walked)
    first = get(path, query_string={**params, "per_page": 2}).json
    second = get(path, query_string={**params, "per_page": 2, "cursor": first["next_cursor"]}).json
    back = get(path, query_string={**params, "per_page": 2, "cursor": second["prev_cursor"]}).json
    assert [i["id"] for i in back["items"]] == ids[:2]
    return ids


def assert_foreign_cursor_refused(get, path: str, cursor: str) -> None:
    answer = get(path, query_string={"cursor": cursor})
    assert answer.status_code == 400 and answer.json["code"] == "invalid_cursor", (path, answer.json)


def page_walk(client, path: str, pattern: str) -> list[str]:
    """What `pattern` (one group) finds on each page of `path`, following its 下一页 links, each
    page's finds once in the order they first appear; checks each later page links back."""
    found, url, pages = [], path, 0
    while url is not None:
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.data.decode()[:300])
        text = answer.data.decode()
        found += list(dict.fromkeys(re.findall(pattern, text)))
        if pages:
            assert PREVIOUS.search(text), url
        pages += 1
        following = NEXT.search(text)
        url = html.unescape(following.group(1)) if following else None
        assert pages < 1000, "the cursor does not move on"
    return found
