"""Roster imports: each row of an uploaded roster classified against who is already there, and
confirming an import, which writes every new and changed row or nothing."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from points.access import Actor
from points.audit.operations import audit
from points.db import session, utcnow
from points.errors import Conflict, DomainError, NotFound
from points.labels import N_, Choice
from points.onboarding.models import RosterImport
from points.onboarding.phones import BAD_PHONE, mobile_or_none
from points.onboarding.roster import read_roster
from points.org.models import OrgLevel, OrgNode
from points.org.queries import find_node
from points.people import operations as people
from points.people.models import Person


class RowState(Choice):
    NEW = "new", N_("新增")
    UNCHANGED = "unchanged", N_("无变化")
    CHANGED = "changed", N_("有变化")
    REFUSED = "refused", N_("不能导入")


NAME_REQUIRED = N_("缺少姓名")
NAME_TOO_LONG = N_("姓名过长")
UNKNOWN_GRID = N_("本社区没有这个网格")
DUPLICATE_IN_FILE = N_("与第 %(line)s 行手机号重复")
OTHER_COMMUNITY = N_("该手机号已登记在其他社区")
_CHUNK = 900


@dataclass
class RowView:
    line: int
    name: str
    phone: str
    grid: str
    state: str = RowState.NEW
    # column → (message, values): why a cell refuses the row, or what changes.
    problems: dict = field(default_factory=dict)
    changes: list = field(default_factory=list)
    person_id: int | None = None
    grid_id: int | None = None


def _text(value: object) -> str:
    """A cell as text: numbers as typed (13800138000.0 is 13800138000), width-normalised."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()


def _community(actor: Actor, community_id: int) -> OrgNode:
    community = find_node(community_id)
    if community is None or community.level != OrgLevel.COMMUNITY:
        raise NotFound("not_found", "社区不存在")
    actor.require("people.manage", community.path)
    return community


def _grids(community_id: int) -> dict[str, int]:
    rows = session().execute(
        sa.select(OrgNode.name, OrgNode.id).where(
            OrgNode.parent_id == community_id, OrgNode.level == OrgLevel.GRID
        )
    )
    return {unicodedata.normalize("NFKC", name).strip(): node_id for name, node_id in rows}


def _people_by_phone(phones: list[str]) -> dict[str, Person]:
    found: dict[str, Person] = {}
    for start in range(0, len(phones), _CHUNK):
        chunk = phones[start : start + _CHUNK]
        found.update(
            {p.phone: p for p in session().scalars(sa.select(Person).where(Person.phone.in_(chunk)))}
        )
    return found


def _read_cells(row: list) -> RowView:
    line, name, phone, grid = row
    view = RowView(line=line, name=_text(name), phone=_text(phone).lstrip("'"), grid=_text(grid))
    if not view.name:
        view.problems["name"] = (NAME_REQUIRED, {})
    elif len(view.name) > 50:
        view.problems["name"] = (NAME_TOO_LONG, {})
    normal = mobile_or_none(view.phone)
    if normal is None:
        view.problems["phone"] = (BAD_PHONE, {})
    else:
        view.phone = normal
    return view


def classify(community_id: int, rows: list[list]) -> list[RowView]:
    """Every row as new, unchanged, changed or refused (with the reason per cell), against the
    people already registered: by phone, in this community or elsewhere."""
    grids = _grids(community_id)
    views = [_read_cells(row) for row in rows]
    seen: dict[str, int] = {}
    for view in views:
        if view.grid:
            view.grid_id = grids.get(view.grid)
            if view.grid_id is None:
                view.problems["grid"] = (UNKNOWN_GRID, {})
        if "phone" not in view.problems:
            if view.phone in seen:
                view.problems["phone"] = (DUPLICATE_IN_FILE, {"line": seen[view.phone]})
            else:
                seen[view.phone] = view.line
    existing = _people_by_phone(list(seen))
    for view in views:
        person = existing.get(view.phone) if "phone" not in view.problems else None
        if person is not None:
            view.person_id = person.id
            if person.community_id != community_id:
                view.problems["phone"] = (OTHER_COMMUNITY, {})
            else:
                view.changes = [
                    column
                    for column, old, new in (
                        ("name", person.name, view.name),
                        ("grid", person.grid_id, view.grid_id),
                    )
                    if new and old != new
                ]
        if view.problems:
            view.state = RowState.REFUSED
        elif person is not None:
            view.state = RowState.CHANGED if view.changes else RowState.UNCHANGED
    return views


def upload_roster(
    *, actor: Actor, community_id: int, filename: str, data: bytes, now: datetime | None = None
) -> RosterImport:
    """Keep an uploaded roster for its preview; nothing about people is written yet.

    Needs `people.manage` over the community. Raises `not_found`, `forbidden`,
    `roster_unreadable`, `roster_empty`."""
    community = _community(actor, community_id)
    config = current_app.config
    rows = read_roster(
        filename,
        data,
        max_bytes=config["ROSTER_MAX_BYTES"],
        max_unpacked=config["ROSTER_MAX_UNPACKED_BYTES"],
        max_rows=config["ROSTER_MAX_ROWS"],
    )
    if not rows:
        raise DomainError("roster_empty", "名单里没有人员", 422, errors={"file": [N_("名单里没有人员")]})
    upload = RosterImport(
        community_id=community.id,
        uploaded_by_id=actor.person_id,
        filename=filename[:200],
        sha256=hashlib.sha256(data).hexdigest(),
        rows=[[r.line, _text(r.name), _text(r.phone), _text(r.grid)] for r in rows],
        created_at=now or utcnow(),
    )
    session().add(upload)
    audit(actor, "roster.uploaded", upload, node_id=community.id, detail={"rows": len(rows)}, now=now)
    return upload


def get_import(actor: Actor, import_id: int) -> RosterImport:
    """An upload of a community the actor manages people of (`not_found` otherwise)."""
    upload = session().get(RosterImport, import_id)
    if upload is None:
        raise NotFound("not_found", "未找到")
    community = find_node(upload.community_id)
    if community is None or not actor.can("people.manage", community.path):
        raise NotFound("not_found", "未找到")
    return upload


def confirm_roster(*, actor: Actor, import_id: int, now: datetime | None = None) -> dict:
    """Write every new and changed row of an upload, classified again now, in this transaction:
    all or nothing. Rows that changed nothing are left alone, so importing the same file twice
    writes nothing the second time.

    Raises `not_found`, `already_confirmed`, `roster_refused` (409, rows still refused: nothing
    written)."""
    upload = get_import(actor, import_id)
    if upload.confirmed_at is not None:
        raise Conflict("already_confirmed", "这份名单已经导入")
    views = classify(upload.community_id, upload.rows)
    refused = [v.line for v in views if v.state == RowState.REFUSED]
    if refused:
        raise Conflict(
            "roster_refused",
            "有 %(count)s 行不能导入，请修改文件后重新上传；本次没有写入任何人员",
            values={"count": len(refused)},
        )
    counts = {state.value: 0 for state in RowState if state != RowState.REFUSED}
    for view in views:
        counts[view.state] += 1
        if view.state == RowState.NEW:
            people.create_person(
                actor=actor,
                phone=view.phone,
                name=view.name,
                community_id=upload.community_id,
                grid_id=view.grid_id,
                now=now,
            )
        elif view.state == RowState.CHANGED:
            changes = {"name": view.name} if "name" in view.changes else {}
            if "grid" in view.changes:
                changes.update(community_id=upload.community_id, grid_id=view.grid_id)
            people.update_person(actor=actor, person_id=view.person_id, changes=changes, now=now)
    upload.confirmed_at, upload.outcome = now or utcnow(), counts
    audit(actor, "roster.confirmed", upload, node_id=upload.community_id, detail=counts, now=now)
    return counts
