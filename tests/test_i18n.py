"""Page language: the English catalogue is complete and compiled, nothing was wrapped without
being extracted, pages switch to English on request, and the JSON API stays Chinese."""

from __future__ import annotations

import io
import re
import shlex
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from points.labels import Choice
from tests.builders import running_activity

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "points" / "translations"
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo"

PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")
HAN = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


def _read(path: Path):
    with path.open("rb") as f:
        return read_po(f, locale="en" if path.suffix == ".po" else None)


def _key(message) -> tuple[str | None, str]:
    return message.context, message.id


def _entries(catalog) -> dict[tuple[str | None, str], str]:
    return {_key(m): m.string for m in catalog if m.id}


# --- the catalogue -------------------------------------------------------------------------


def test_every_msgid_has_an_english_translation_and_none_is_fuzzy():
    catalog = _read(PO)
    assert len(catalog) > 300
    assert not catalog.fuzzy, "the catalogue header is marked fuzzy: it would not compile"
    untranslated = [m.id for m in catalog if m.id and not str(m.string).strip()]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [], f"{len(untranslated)} without a translation: {untranslated[:10]}"
    assert fuzzy == [], f"fuzzy entries: {fuzzy[:10]}"
    assert [m.id for m in catalog.obsolete.values()] == []


def test_translations_keep_the_placeholders_and_leave_no_chinese():
    for message in _read(PO):
        if not message.id:
            continue
        assert sorted(PLACEHOLDER.findall(message.id)) == sorted(PLACEHOLDER.findall(message.string)), (
            message.id
        )
        assert not HAN.search(message.string), f"{message.id!r} → {message.string!r}"
    assert [problem for _, problems in _read(PO).check() for problem in problems] == []


def test_the_catalogue_holds_exactly_the_template_msgids():
    assert set(_entries(_read(PO))) == set(_entries(_read(POT)))


def test_the_checked_in_mo_is_the_compiled_po():
    compiled = io.BytesIO()
    write_mo(compiled, _read(PO))
    compiled.seek(0)
    with MO.open("rb") as f:
        checked_in = read_mo(f)
    assert _entries(checked_in) == _entries(read_mo(compiled)), "run `make translations` and commit the .mo"


# --- extraction ----------------------------------------------------------------------------


def _makefile_keywords() -> list[str]:
    """The extractor's keywords as the `translations` target passes them."""
    match = re.search(r"^I18N_KEYWORDS :=(.*)$", (ROOT / "Makefile").read_text(), re.M)
    assert match, "the Makefile defines I18N_KEYWORDS"
    words = shlex.split(match.group(1))
    return [words[i + 1] for i, word in enumerate(words) if word == "-k"]


def _extracted() -> set[tuple[str | None, str]]:
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f, "babel.cfg")
    keywords = dict(DEFAULT_KEYWORDS)
    keywords.update(parse_keywords(_makefile_keywords()))

    def enter(dirpath: str) -> bool:
        path = Path(dirpath).resolve()
        if path.name.startswith((".", "_")):
            return False
        points = ROOT / "points"
        return path in (ROOT, points) or points in path.parents

    found = set()
    for _, _, message, _, context in extract_from_dir(
        ROOT, method_map, options_map, keywords, directory_filter=enter
    ):
        if isinstance(message, tuple):  # ngettext: the singular is the msgid
            message = message[0]
        if message:
            found.add((context, message))
    return found


def test_every_marked_text_of_the_pages_is_in_the_template():
    keywords = _makefile_keywords()
    assert {"_l", "N_", "DomainError:2"} <= set(keywords)
    found = _extracted()
    assert (None, "退出登录") in found and (None, "任务榜") in found  # the extractor did run
    missing = sorted(found - set(_entries(_read(POT))), key=str)
    assert missing == [], (
        f"run `make translations` and translate what is new: {len(missing)} not extracted: {missing[:10]}"
    )


def _label_values() -> dict[str, str]:
    """Every Chinese label the pages translate at render time, by where it comes from."""
    from points.board import presenters as board_presenters
    from points.checkin import models as checkin_models
    from points.checkin import queries as checkin_queries
    from points.ledger import models as ledger_models
    from points.ledger import pages as ledger_pages
    from points.people import pages as people_pages

    values = {}
    for module in (
        board_presenters,
        checkin_models,
        checkin_queries,
        ledger_models,
        ledger_pages,
        people_pages,
    ):
        for name, table in vars(module).items():
            if name.endswith("_NAMES") and isinstance(table, dict):
                values.update({f"{module.__name__}.{name}[{k}]": v for k, v in table.items()})
    # Every Choice's names (the app has imported every module that defines one).
    for choice in Choice.__subclasses__():
        values.update({f"{choice.__module__}.{choice.__name__}[{k}]": v for k, v in choice.titles().items()})
    return values


def test_every_label_a_page_translates_is_in_the_catalogue():
    translated = {key[1] for key, string in _entries(_read(PO)).items() if string and key[0] is None}
    labels = _label_values()
    assert len(labels) > 60
    missing = {where: value for where, value in labels.items() if value not in translated}
    assert missing == {}, "mark these in points/labels.py and run `make translations`"


# --- pages ---------------------------------------------------------------------------------


@pytest.fixture
def person(make_node, make_person, save):
    community = make_node("community", name="Pine Hill")
    staff = make_person(
        community=community, name="Li Lei", is_party_member=True, roles=[("staff", community)]
    )
    save()
    return staff


@pytest.fixture
def logged_in(app, person):
    client = app.test_client()
    response = client.post("/login", data={"phone": person.phone, "password": "password123"})
    assert response.status_code == 302
    return client


class _VisibleText(HTMLParser):
    """What a reader sees or hears of a page: its text and the attributes that are read out."""

    SHOWN = ("placeholder", "aria-label", "title", "alt", "data-label")

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        # The switch back to Chinese names itself in Chinese, as language switches do.
        if (attrs.get("lang") == "zh-CN" and tag == "a") or self._skip:
            self._skip += 1
        self.texts.extend(value for name, value in attrs.items() if name in self.SHOWN and value)

    def handle_endtag(self, tag):
        if self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def _chinese_left(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    return sorted({text for text in parser.texts if HAN.search(text)})


def test_login_page_speaks_chinese_by_default_and_english_on_request(client):
    chinese = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-CN"' in chinese and "手机号" in chinese and "密码" in chinese
    english = client.get("/login?lang=en").get_data(as_text=True)
    assert 'lang="en"' in english
    assert "Log in" in english and "Phone number" in english and "Password" in english
    assert _chinese_left(english) == []


def test_a_refusal_on_the_login_page_is_translated(client, person):
    html = client.post("/login?lang=en", data={"phone": person.phone, "password": "wrong-password"})
    assert html.status_code == 401
    assert "Wrong phone number or password" in html.get_data(as_text=True)
    chinese = client.post("/login", data={"phone": person.phone, "password": "wrong-password"})
    assert "手机号或密码错误" in chinese.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/board",
        "/my/claims",
        "/help",
        "/points",
        "/approvals",
        "/ledger",
        "/registrations",
        "/triage",
        "/verify",
        "/tasks/new",
        "/people",
        "/audit",
    ],
)
def test_pages_in_english_have_no_chinese_left(logged_in, path):
    response = logged_in.get(f"{path}?lang=en")
    assert response.status_code == 200
    assert _chinese_left(response.get_data(as_text=True)) == []
    assert _chinese_left(logged_in.get(path).get_data(as_text=True)), "the same page by default is Chinese"


def test_board_page_in_english_and_by_default_in_chinese(logged_in):
    english = logged_in.get("/board?lang=en").get_data(as_text=True)
    assert "Task board" in english and "Claim" in english and "My points" in english
    for chinese_menu_label in ("首页", "任务榜", "我的揭榜", "我的积分", "积分审批"):
        assert chinese_menu_label not in english
    chinese = logged_in.get("/board").get_data(as_text=True)
    assert "任务榜" in chinese and "我的揭榜" in chinese and "Task board" not in chinese


def test_the_language_chosen_is_remembered_and_flashes_follow_it(logged_in):
    logged_in.get("/lang/en")
    assert "Dual registration" in logged_in.get("/registrations").get_data(as_text=True)
    flashed = logged_in.post("/approvals/bulk", data={}, follow_redirects=True).get_data(as_text=True)
    assert "Please tick the points to approve first" in flashed
    logged_in.get("/lang/zh")
    assert "双报到" in logged_in.get("/registrations").get_data(as_text=True)


def test_error_pages_follow_the_page_language(client, logged_in):
    english = client.get("/no-such-page?lang=en")
    assert english.status_code == 404
    assert "This page does not exist" in english.get_data(as_text=True)
    assert _chinese_left(english.get_data(as_text=True)) == []
    assert "您要找的页面不存在" in client.get("/no-such-page").get_data(as_text=True)
    refused = logged_in.get("/points?lang=en&from=yesterday")
    assert refused.status_code == 422
    assert "Dates must be year-month-day" in refused.get_data(as_text=True)


# --- check-in pages ------------------------------------------------------------------------


@pytest.fixture
def checkin_paths(person, make_person, actor_of, save) -> dict[str, str]:
    """The check-in pages around a running activity in the person's community, where the person
    checked in and out once (earning points) and was then checked in again by a colleague."""
    from points.checkin import operations as checkin
    from points.db import utcnow
    from points.org import operations as org
    from points.org.queries import get_node

    community = get_node(person.community_id)
    colleague = make_person(community=community, name="Han Mei", roles=[("staff", community)])
    station = org.create_station(
        actor=None, node_id=community.id, kind="station", name="Pine Hill Centre", address="1 Pine Road"
    )
    staff, now = actor_of(person), utcnow()
    running = running_activity(
        staff,
        station.id,
        "Weekend duty",
        began=timedelta(hours=2),
        ends_in=timedelta(hours=2),
        now=now,
        daily_cap=30,
    )
    later = checkin.create_activity(
        actor=staff,
        station_id=station.id,
        title="Evening duty",
        starts_at=now + timedelta(hours=3),
        ends_at=now + timedelta(hours=5),
        hourly_rate=10,
        now=now,
    )
    own = checkin.check_in_or_out(actor=staff, activity_id=running.id, now=now - timedelta(minutes=90))
    checkin.check_in_or_out(
        actor=staff, activity_id=running.id, action="out", now=now - timedelta(minutes=30)
    )
    checkin.staff_check_in(
        actor=actor_of(colleague),
        activity_id=running.id,
        person_id=person.id,
        now=now - timedelta(minutes=10),
    )

    def code(activity, at=now, poster=False) -> str:
        return checkin.station_code(actor=staff, activity_id=activity.id, now=at, poster=poster).token

    card = checkin.card_token(checkin.ensure_member_card(colleague.id))
    save()
    return {
        "scan": f"/s/{code(running)}",
        "expired code": f"/s/{code(running, now - timedelta(minutes=2))}",
        "not started": f"/s/{code(later, poster=True)}",
        "scan result": f"/checkins/{own.checkin.id}?outcome=checked_out",
        "my check-ins": "/checkins",
        "stations": "/checkin/stations",
        "station": f"/checkin/stations/{station.id}",
        "activity": f"/checkin/activities/{running.id}?q=Han",
        "screen": f"/checkin/activities/{running.id}/screen",
        "poster": f"/checkin/activities/{running.id}/poster",
        "member card": "/card",
        "member cards": f"/checkin/cards?community_id={community.id}",
        "member card scanned": f"/c/{card}",
    }


def _in_english(path: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang=en"


@pytest.mark.parametrize(
    "page",
    [
        "scan",
        "expired code",
        "not started",
        "scan result",
        "my check-ins",
        "stations",
        "station",
        "activity",
        "screen",
        "poster",
        "member card",
        "member cards",
        "member card scanned",
    ],
)
def test_checkin_pages_in_english_have_no_chinese_left(logged_in, checkin_paths, page):
    path = checkin_paths[page]
    response = logged_in.get(_in_english(path))
    assert response.status_code == {"expired code": 410, "not started": 409}.get(page, 200)
    assert _chinese_left(response.get_data(as_text=True)) == []
    assert _chinese_left(logged_in.get(path).get_data(as_text=True)), "the same page by default is Chinese"


def test_checkin_notes_and_results_follow_the_page_language(logged_in, checkin_paths, api_as, person):
    english = logged_in.get("/checkins?lang=en").get_data(as_text=True)
    assert "Checked in by staff member Han Mei; Present, not checked out yet" in english
    assert "Time counted: 1 h 0 min; 10 " in english
    result = logged_in.get(_in_english(checkin_paths["scan result"])).get_data(as_text=True)
    assert "Checked out after 1 h 0 min of service, earning 10 " in result
    late = logged_in.get(_in_english(checkin_paths["not started"])).get_data(as_text=True)
    assert "The activity has not started yet: it starts at " in late

    chinese = logged_in.get("/checkins").get_data(as_text=True)
    assert "由工作人员Han Mei代为签到；在场，尚未签退" in chinese and "计时1小时0分钟；10 " in chinese
    result = logged_in.get(checkin_paths["scan result"]).get_data(as_text=True)
    assert "签退成功，本次服务1小时0分钟，获得 10 " in result
    assert "活动尚未开始，" in logged_in.get(checkin_paths["not started"]).get_data(as_text=True)

    notes = api_as(person).get("/api/v1/me/checkins?lang=en").json["items"]
    assert notes[0]["note"] == "由工作人员Han Mei代为签到；在场，尚未签退"


# --- the API -------------------------------------------------------------------------------


def test_the_api_answers_in_chinese_whatever_the_page_language(client, person):
    for query in ("", "?lang=en"):
        client.set_cookie("lang", "en" if query else "zh")
        missing = client.get(f"/api/v1/no-such-thing{query}")
        assert missing.mimetype == "application/problem+json"
        assert missing.json["title"] == "Not found"
        assert missing.json["detail"] == "您要找的页面不存在，请检查网址是否正确。"
        refused = client.post(
            f"/api/v1/auth/token{query}", json={"phone": person.phone, "password": "wrong-password"}
        )
        assert refused.status_code == 401
        assert refused.json["detail"] == "手机号或密码错误"


def test_labels_that_are_data_are_shown_in_english(logged_in):
    home = logged_in.get("/?lang=en").get_data(as_text=True)
    assert "Community staff" in logged_in.get("/me?lang=en").get_data(as_text=True)
    assert "Hongsong points" in home and "Xing'an points" in home
    assert "Party member registration: not registered with a community yet" in home
    board = logged_in.get("/board?lang=en").get_data(as_text=True)
    assert "Neighbourhood clean-up" in board and 'value="环境整治"' in board
