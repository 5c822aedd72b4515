"""Service certificates (志愿服务证明): a person's verified service of one kind in a span of days,
as a PDF carrying a QR code to a public page that checks it against the ledger.

Each line names the service behind the award (the task or activity), its day and hours, and the
points. The QR holds a token signed with the app's secret: whose certificate, which kind and days,
and a digest of every line as printed (award, service, day, hours, points). Verifying recomputes the digest from the ledger as it is
now: a token changed by hand fails its signature, and a later reversal (or any award the
certificate does not list) changes the digest, so the page says the certificate no longer
matches, and shows what the ledger holds so a printed copy can be compared line by line.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from points.checkin.qr import public_url, qr_png
from points.db import LOCAL_TZ
from points.errors import DomainError
from points.evaluation.queries import period_span
from points.evaluation.report_queries import services_behind
from points.i18n import translate
from points.labels import N_
from points.ledger.history import statement
from points.ledger.models import AWARD_REASONS, Kind, Reason
from points.people.queries import get_person

FONT = "STSong-Light"
MOST_ROWS = 500
_SALT = "points.evaluation.certificate"


@dataclass(frozen=True)
class Certificate:
    person_id: int
    name: str
    kind: str
    first: date
    last: date
    rows: list[dict]
    total: int
    digest: str
    hours: float = 0.0


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_SALT)


def _digest(person_id: int, kind: str, first: date, last: date, rows: list[dict]) -> str:
    canonical = json.dumps(
        [
            person_id,
            kind,
            first.isoformat(),
            last.isoformat(),
            [[r["id"], r["amount"], r["day"].isoformat(), r["title"], r["hours"]] for r in rows],
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _row(award: dict, service: dict | None) -> dict:
    """A certificate line: the service's day and hours when the award rests on a task or a
    check-in, else the day it was awarded and no hours (a discretionary award)."""
    if service is None:
        day, hours, title = award["created_at"].astimezone(LOCAL_TZ).date(), 0.0, ""
    else:
        day = service["starts_at"].astimezone(LOCAL_TZ).date()
        hours, title = service["hours"], service["title"]
    return {
        "id": award["id"],
        "day": day,
        "reason": award["reason"],
        "title": title or award["memo"] or "",
        "memo": award["memo"],
        "hours": hours,
        "amount": award["amount"],
    }


def build(person_id: int, kind: str, first: date, last: date) -> Certificate:
    """The certificate's content from the ledger as it is now: awards of `kind` posted to the
    person between the two days (Asia/Shanghai, both included) and not reversed."""
    if kind not in Kind.values():
        raise DomainError("invalid_kind", "积分类型不对", 422, errors={"kind": ["无效"]})
    start, end, _ = period_span("custom", first.isoformat(), last.isoformat())
    person = get_person(person_id)
    found = statement("person", person_id, kind, start=start, end=end, per_page=MOST_ROWS, compact=True)
    awards = [
        r
        for r in reversed(found["items"])
        if r["reason"] in AWARD_REASONS and r["direction"] == "in" and r["state"] == "posted"
    ]
    served = services_behind(awards)
    rows = [_row(r, served.get((r["ref_type"], r["ref_id"]))) for r in awards]
    return Certificate(
        person_id=person.id,
        name=person.name,
        kind=kind,
        first=first,
        last=last,
        rows=rows,
        total=sum(r["amount"] for r in rows),
        hours=round(sum(r["hours"] for r in rows), 1),
        digest=_digest(person.id, kind, first, last, rows),
    )


def token_of(certificate: Certificate) -> str:
    return _serializer().dumps(
        {
            "p": certificate.person_id,
            "k": certificate.kind,
            "s": certificate.first.isoformat(),
            "e": certificate.last.isoformat(),
            "d": certificate.digest,
        }
    )


def verify(token: str) -> tuple[bool, Certificate | None]:
    """(matches, the content the ledger holds now); (False, None) for a token that is not ours."""
    try:
        claim = _serializer().loads(token)
        first, last = date.fromisoformat(claim["s"]), date.fromisoformat(claim["e"])
        current = build(int(claim["p"]), str(claim["k"]), first, last)
    except (BadSignature, KeyError, TypeError, ValueError, DomainError):
        return False, None
    return current.digest == claim["d"], current


def verify_url(certificate: Certificate) -> str:
    return public_url(f"/certificates/{token_of(certificate)}")


TITLE = N_("志愿服务证明")
LINES = {
    "intro": N_(
        "兹证明 %(name)s 于 %(first)s 至 %(last)s 参加社区志愿服务，经核验获得%(kind)s %(total)s 分。"
    ),
    "hours": N_("服务时长合计 %(hours)s 小时。"),
    "day": N_("日期"),
    "what": N_("服务内容"),
    "duration": N_("时长（小时）"),
    "points": N_("积分"),
    "check": N_("扫描二维码可核验本证明与积分台账是否一致。"),
    "digest": N_("核验码：%(digest)s"),
}


def _draw_rows(canvas: Canvas, certificate: Certificate, top: float) -> None:
    y = top
    canvas.setFont(FONT, 11)
    canvas.drawString(20 * mm, y, translate(LINES["day"]))
    canvas.drawString(50 * mm, y, translate(LINES["what"]))
    canvas.drawRightString(170 * mm, y, translate(LINES["duration"]))
    canvas.drawRightString(190 * mm, y, translate(LINES["points"]))
    for row in certificate.rows:
        y -= 7 * mm
        if y < 25 * mm:
            canvas.showPage()
            canvas.setFont(FONT, 11)
            y = 270 * mm
        what = row["title"][:30] or translate(Reason(row["reason"]).title)
        canvas.drawString(20 * mm, y, row["day"].isoformat())
        canvas.drawString(50 * mm, y, what)
        canvas.drawRightString(170 * mm, y, f"{row['hours']:g}" if row["hours"] else "—")
        canvas.drawRightString(190 * mm, y, str(row["amount"]))


def pdf(certificate: Certificate, *, now: datetime) -> bytes:
    """The certificate as an A4 PDF with Chinese text in the embedded-by-name CID font."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4)
    canvas.setTitle(translate(TITLE))
    canvas.setFont(FONT, 22)
    canvas.drawCentredString(105 * mm, 270 * mm, translate(TITLE))
    canvas.setFont(FONT, 12)
    intro = translate(LINES["intro"]) % {
        "name": certificate.name,
        "first": certificate.first.isoformat(),
        "last": certificate.last.isoformat(),
        "kind": translate(Kind(certificate.kind).title),
        "total": certificate.total,
    }
    canvas.drawString(20 * mm, 255 * mm, intro)
    canvas.drawString(20 * mm, 248 * mm, translate(LINES["hours"]) % {"hours": f"{certificate.hours:g}"})
    url = verify_url(certificate)
    canvas.drawImage(ImageReader(io.BytesIO(qr_png(url, box_size=6))), 150 * mm, 205 * mm, 40 * mm, 40 * mm)
    canvas.linkURL(url, (150 * mm, 205 * mm, 190 * mm, 245 * mm))
    canvas.setFont(FONT, 9)
    canvas.drawString(20 * mm, 215 * mm, translate(LINES["check"]))
    canvas.drawString(20 * mm, 209 * mm, translate(LINES["digest"]) % {"digest": certificate.digest})
    canvas.drawString(20 * mm, 203 * mm, now.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"))
    _draw_rows(canvas, certificate, 190 * mm)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
