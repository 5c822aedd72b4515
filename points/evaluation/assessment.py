"""The annual assessment sheet (年度考评表) of a party member, and their party organisation's
summary: read from the ledger (service and points), the ratings (stars or 免评) and the
deductions with their appeals, as a printable page and an A4 PDF.

Who reads a member's sheet: the member, the admin of the unit they work at, and staff, street
admins and supervisors whose scope holds the member's community. An organisation's summary: its
unit admin, and staff, street admins and supervisors of a community it reports to. Anyone else
is told it is not found, so a sheet's existence is not revealed.
"""

from __future__ import annotations

import io
from datetime import date, datetime

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from points.access import Actor
from points.db import LOCAL_TZ, session
from points.errors import NotFound
from points.evaluation import certificates
from points.evaluation.models import DeductionState
from points.evaluation.queries import (
    community_name,
    deductions_of,
    period_span,
    person_rating,
    ranking_rows,
    unit_community_paths,
    unit_members_book_stmt,
    with_ratings,
)
from points.i18n import translate
from points.labels import N_
from points.org.models import Unit
from points.org.queries import find_node, unit_names
from points.people.models import Person

FONT = certificates.FONT
MOST_MEMBERS = 2000


def _not_found() -> NotFound:
    return NotFound("not_found", "未找到")


def readable_member(actor: Actor, person_id: int) -> Person:
    """The party member whose sheet is asked for, if the actor may read it; else `not_found`."""
    person = session().get(Person, person_id)
    if person is None or not person.is_party_member:
        raise _not_found()
    if actor.person_id == person.id or actor.is_global_admin:
        return person
    if person.work_unit_id is not None and actor.administers_unit(person.work_unit_id):
        return person
    community = find_node(person.community_id) if person.community_id else None
    if community is not None and actor.can("evaluation.read", community.path):
        return person
    raise _not_found()


def readable_org(actor: Actor, unit_id: int) -> Unit:
    """The party organisation (a work unit) whose summary is asked for, if the actor may read
    it; else `not_found`."""
    unit = session().get(Unit, unit_id)
    if unit is None:
        raise _not_found()
    if actor.is_global_admin or actor.administers_unit(unit.id):
        return unit
    if any(actor.can("evaluation.read", path) for path in unit_community_paths(unit.id)):
        return unit
    raise _not_found()


def _year_days(year: int) -> tuple[date, date]:
    period_span("year", str(year))  # raises invalid_period beyond the planning years
    return date(year, 1, 1), date(year, 12, 31)


def _deduction(d) -> dict:
    return {
        "id": d.id,
        "day": d.created_at.astimezone(LOCAL_TZ).date(),
        "points": d.points,
        "reason": d.reason,
        "evidence": d.evidence,
        "state": d.state,
        "state_name": translate(DeductionState.titles()[d.state]),
        "appeal_text": d.appeal_text,
        "appeal_answer": d.appeal_answer,
    }


def member_sheet(person: Person, year: int) -> dict:
    """A member's year: every verified service with its day and hours, their 红松分, stars (or
    免评 with the reason), the 100-point score, and each deduction with its appeal."""
    first, last = _year_days(year)
    service = certificates.build(person.id, "hongsong", first, last)
    rating = person_rating(person, year)
    units = unit_names([person.work_unit_id]) if person.work_unit_id else {}
    return {
        "person_id": person.id,
        "name": person.name,
        "year": year,
        "community": community_name(person.community_id) if person.community_id else "",
        "unit_id": person.work_unit_id,
        "unit": units.get(person.work_unit_id, ""),
        "points": rating["points"],
        "stars": rating.get("stars"),
        "score": rating.get("score"),
        "exempt": bool(rating.get("exempt")),
        "exemption": rating.get("exemption") or "",
        "deducted": rating.get("deducted", 0),
        "hours": service.hours,
        "services": [
            {"day": r["day"], "title": r["title"], "hours": r["hours"], "points": r["amount"]}
            for r in service.rows
        ],
        "deductions": [_deduction(d) for d in deductions_of(person.id, year=year)],
    }


def org_summary(unit: Unit, year: int) -> dict:
    """The organisation's members for a year with their points and stars (免评 apart), and the
    totals: members, rated, exempt, points, and how many hold each star level."""
    start, end, _ = period_span("year", str(year))
    rows = ranking_rows(unit_members_book_stmt(unit_id=unit.id, start=start, end=end), limit=MOST_MEMBERS)
    with_ratings(rows, year=year, community_path=None)
    members = [
        {
            "person_id": r["person_id"],
            "name": r["name"],
            "node_name": r["node_name"],
            "points": int(r["points"]),
            "stars": r["stars"],
            "score": r["score"],
            "exempt": r["exempt"],
            "exemption": r.get("exemption") or "",
            "deducted": r["deducted"],
        }
        for r in rows
    ]
    stars = {level: sum(1 for m in members if m["stars"] == level) for level in range(1, 6)}
    return {
        "unit_id": unit.id,
        "unit": unit.name,
        "year": year,
        "members": members,
        "total_members": len(members),
        "exempt_members": sum(1 for m in members if m["exempt"]),
        "rated_members": sum(1 for m in members if m["stars"]),
        "total_points": sum(m["points"] for m in members),
        "stars": [{"stars": level, "members": n} for level, n in stars.items()],
    }


# --- PDF ------------------------------------------------------------------------------------

TEXT = {
    "sheet": N_("党员年度考评表"),
    "summary": N_("党组织年度考评汇总"),
    "who": N_("姓名：%(name)s　社区：%(community)s　工作单位：%(unit)s　年度：%(year)s"),
    "figures": N_("红松分：%(points)s　服务时长：%(hours)s 小时　星级：%(stars)s　扣分：%(deducted)s"),
    "exempt": N_("免评"),
    "services": N_("服务记录"),
    "deductions": N_("扣分与申诉"),
    "none": N_("无"),
    "day": N_("日期"),
    "what": N_("服务内容"),
    "duration": N_("时长（小时）"),
    "points": N_("积分"),
    "state": N_("状态"),
    "reason": N_("原因"),
    "appeal": N_("申诉：%(text)s　答复：%(answer)s"),
    "org": N_("党组织：%(unit)s　年度：%(year)s"),
    "totals": N_("党员 %(members)s 人，参评 %(rated)s 人，免评 %(exempt)s 人，红松分合计 %(points)s"),
    "name": N_("姓名"),
    "place": N_("网格/社区"),
    "stars": N_("星级"),
    "printed": N_("打印时间：%(at)s"),
}


def _t(key: str, **values) -> str:
    text = translate(TEXT[key])
    return text % values if values else text


def stars_text(row: dict) -> str:
    if row["exempt"]:
        return _t("exempt")
    return "★" * row["stars"] if row["stars"] else "—"


class _Sheet:
    """A canvas that writes lines downwards and starts a new page when one is full."""

    def __init__(self, title: str):
        if FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        self.out = io.BytesIO()
        self.canvas = Canvas(self.out, pagesize=A4)
        self.canvas.setTitle(title)
        self.canvas.setFont(FONT, 18)
        self.canvas.drawCentredString(105 * mm, 275 * mm, title)
        self.y = 262 * mm
        self.canvas.setFont(FONT, 10)

    def room(self, lines: int = 1) -> None:
        if self.y - lines * 6 * mm < 18 * mm:
            self.canvas.showPage()
            self.canvas.setFont(FONT, 10)
            self.y = 275 * mm

    def line(self, cells: list[tuple[float, str]], *, size: int = 10, right: tuple[int, ...] = ()) -> None:
        self.room()
        self.canvas.setFont(FONT, size)
        for i, (x, text) in enumerate(cells):
            draw = self.canvas.drawRightString if i in right else self.canvas.drawString
            draw(x * mm, self.y, text)
        self.y -= (size * 0.6 + 1.5) * mm

    def gap(self) -> None:
        self.y -= 3 * mm

    def done(self, now: datetime) -> bytes:
        self.gap()
        self.line([(20, _t("printed", at=now.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")))], size=8)
        self.canvas.showPage()
        self.canvas.save()
        return self.out.getvalue()


def member_pdf(sheet: dict, *, now: datetime) -> bytes:
    pdf = _Sheet(_t("sheet"))
    pdf.line(
        [
            (
                20,
                _t(
                    "who",
                    name=sheet["name"],
                    community=sheet["community"],
                    unit=sheet["unit"] or "—",
                    year=sheet["year"],
                ),
            )
        ]
    )
    stars = stars_text(sheet) + (
        f"（{sheet['exemption']}）" if sheet["exempt"] and sheet["exemption"] else ""
    )
    if sheet["score"] is not None:
        stars += f" · {sheet['score']}"
    figures = _t(
        "figures",
        points=sheet["points"],
        hours=f"{sheet['hours']:g}",
        stars=stars,
        deducted=sheet["deducted"],
    )
    pdf.line([(20, figures)])
    pdf.gap()
    pdf.line([(20, _t("services"))], size=13)
    pdf.line([(20, _t("day")), (48, _t("what")), (170, _t("duration")), (190, _t("points"))], right=(2, 3))
    for s in sheet["services"]:
        hours = f"{s['hours']:g}" if s["hours"] else "—"
        pdf.line(
            [(20, s["day"].isoformat()), (48, s["title"][:34]), (170, hours), (190, str(s["points"]))],
            right=(2, 3),
        )
    if not sheet["services"]:
        pdf.line([(20, _t("none"))])
    pdf.gap()
    pdf.line([(20, _t("deductions"))], size=13)
    for d in sheet["deductions"]:
        pdf.line(
            [
                (20, d["day"].isoformat()),
                (48, f"-{d['points']}"),
                (62, d["reason"][:40]),
                (190, d["state_name"]),
            ],
            right=(3,),
        )
        if d["appeal_text"]:
            pdf.line(
                [(26, _t("appeal", text=d["appeal_text"][:40], answer=d["appeal_answer"][:30] or "—"))],
                size=9,
            )
    if not sheet["deductions"]:
        pdf.line([(20, _t("none"))])
    return pdf.done(now)


def org_pdf(summary: dict, *, now: datetime) -> bytes:
    pdf = _Sheet(_t("summary"))
    pdf.line([(20, _t("org", unit=summary["unit"], year=summary["year"]))])
    totals = _t(
        "totals",
        members=summary["total_members"],
        rated=summary["rated_members"],
        exempt=summary["exempt_members"],
        points=summary["total_points"],
    )
    pdf.line([(20, totals)])
    pdf.line([(20, "  ".join(f"{'★' * s['stars']} {s['members']}" for s in summary["stars"]))])
    pdf.gap()
    pdf.line([(20, _t("name")), (60, _t("place")), (130, _t("points")), (140, _t("stars"))], right=(2,))
    for m in summary["members"]:
        stars = stars_text(m) + (f"（{m['exemption'][:16]}）" if m["exempt"] and m["exemption"] else "")
        pdf.line(
            [(20, m["name"]), (60, m["node_name"][:20]), (130, str(m["points"])), (140, stars)], right=(2,)
        )
    if not summary["members"]:
        pdf.line([(20, _t("none"))])
    return pdf.done(now)
