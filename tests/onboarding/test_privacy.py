"""The privacy notice: what it tells (PIPL Art 17), in Chinese and English, and its text tied to
its version, so changing what people agreed to asks them again."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import config

NOTICE = Path(__file__).resolve().parents[2] / "points/onboarding/templates/onboarding/privacy.html"
# Each version's digest of the notice's texts. Changing a text fails here until the version in
# config.py is bumped (everyone is asked to consent again) and its digest added.
DIGESTS = {
    "2026-11-26": "699a15d8e4c85fb0713abc18046a5c61d7535d8aec44147a801286ab375260e8",
}


def notice_texts() -> list[str]:
    return re.findall(r"_\('([^']*)'", NOTICE.read_text(encoding="utf-8"))


def test_the_notice_text_changes_only_with_a_new_version():
    digest = hashlib.sha256("\n".join(notice_texts()).encode()).hexdigest()

    assert DIGESTS.get(config.Config.PRIVACY_NOTICE_VERSION) == digest, (
        "the privacy notice changed: bump PRIVACY_NOTICE_VERSION and add its digest",
        digest,
    )


def test_the_notice_says_what_why_how_long_who_rights_and_contact(client):
    page = client.get("/privacy").get_data(as_text=True)

    for heading in ("我们收集的信息", "为什么收集", "保存多久", "谁能看到", "你的权利", "联系我们"):
        assert heading in page
    assert "版本：2026-11-26" in page
    for right in ("查看和下载", "注销账号", "更正", "撤回同意"):
        assert right in page
    assert "登录记录在登录结束 90 天后删除" in page and "15 个工作日内答复" in page


def test_the_notice_in_english(client):
    page = client.get("/privacy?lang=en").get_data(as_text=True)

    assert "Privacy notice" in page and "Version: 2026-11-26" in page
    assert "What we collect" in page and "Close your account" in page
    assert not re.search(
        r"[\u4e00-\u9fff]{4,}",
        re.sub(r"<(script|style)[^>]*>.*?</\1>", "", page, flags=re.S)
        .split("<main", 1)[-1]
        .split("</main>", 1)[0],
    )


def test_the_contact_is_shown_when_configured(app, client):
    app.config["PRIVACY_CONTACT"] = "0451-12345678"
    try:
        assert "0451-12345678" in client.get("/privacy").get_data(as_text=True)
    finally:
        app.config["PRIVACY_CONTACT"] = ""
