"""The board's list: which tasks a reader sees (what they can act on), in an order the tasks'
indexes serve, page by page, with live counts read for the page's rows only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import select

from points.access import Actor
from points.board.models import LIVE_CLAIM_STATES, Claim, Task, TaskState
from points.board.queries import (
    LIVE_COUNT,
    Standing,
    claimable_expr,
    managed_communities,
    standing_of,
    with_counts,
)
from points.pagination import Cursor, keyset

# The board's order: posted tasks, then closed ones, then (for staff) the rest, each by start
# time. Each (community, state) is one range of ix_tasks_community_state_start, already in
# that order, so a page reads per_page + 1 rows of each range and never the city's tasks.
BOARD_RANKS = {
    TaskState.POSTED: 0,
    TaskState.CLOSED: 1,
    TaskState.DONE: 2,
    TaskState.DRAFT: 3,
    TaskState.CANCELLED: 4,
}
# What a reader acts on: posted and closed tasks; staff see every state in their scope.
ACTIONABLE = (TaskState.POSTED, TaskState.CLOSED)
# Past this many (community, state) ranges, one range per state (sorted) keeps the statement small.
MAX_RANGES = 40
_RANK = sa.case(*((Task.state == state, rank) for state, rank in BOARD_RANKS.items()), else_=9)


def board_ranges(actor: Actor, standing: Standing, *, community_id: int | None, state: str | None) -> dict:
    """state -> the communities whose tasks of that state the board lists: the communities the
    reader belongs to (posted and closed tasks), every state where they manage tasks; one
    community when the reader picks it."""
    managed = {node.id for node in managed_communities(actor)}
    if community_id is not None:
        reach, managed = {community_id}, managed & {community_id}
    else:
        reach = standing.reach
    ranges: dict[str, set[int]] = {}
    for each in BOARD_RANKS:
        if state and each != state:
            continue
        communities = set(managed)
        if each in ACTIONABLE:
            communities |= reach
        if communities:
            ranges[each] = communities
    return ranges


def _claimed_by(actor: Actor) -> sa.ColumnElement[bool]:
    """Tasks the caller (or a unit they administer) holds a live claim on."""
    mine = sa.and_(Claim.claimant_type == "person", Claim.person_id == actor.person_id)
    if actor.unit_ids:
        mine = sa.or_(mine, sa.and_(Claim.claimant_type == "unit", Claim.unit_id.in_(actor.unit_ids)))
    return Task.id.in_(select(Claim.task_id).where(mine, Claim.state.in_(LIVE_CLAIM_STATES)))


def _past(columns: list, values: tuple, backwards: bool) -> sa.ColumnElement[bool]:
    left, right = (
        sa.tuple_(*columns),
        sa.tuple_(*(sa.literal(v, c.type) for c, v in zip(columns, values, strict=True))),
    )
    return left < right if backwards else left > right


def _board_filters(
    standing: Standing,
    now: datetime,
    *,
    category: str | None = None,
    eligibility: str | None = None,
    open_slots: bool | None = None,
    claimable: bool | None = None,
    q: str | None = None,
) -> list:
    out = []
    if category:
        out.append(Task.category == category)
    if eligibility:
        out.append(Task.eligibility == eligibility)
    if open_slots is not None:
        has_room = sa.and_(Task.state == TaskState.POSTED, Task.slots > LIVE_COUNT)
        out.append(has_room if open_slots else ~has_room)
    if claimable is not None:
        can_claim = claimable_expr(standing, now)
        out.append(can_claim if claimable else ~can_claim)
    if q:
        out.append(Task.title.contains(q, autoescape=True))
    return out


def board_row_key(task: Task) -> tuple:
    """A task's place in the board's order (rank of its state, start, id)."""
    return (BOARD_RANKS.get(task.state, 9), task.starts_at, task.id)


@dataclass
class _BoardQuery:
    """One board page's statement: a UNION of index ranges, one per (community, state), each
    read in order up to the page's size, plus the running tasks the reader holds a claim on."""

    actor: Actor
    ranges: dict
    where: list
    cursor: Cursor | None
    community_id: int | None
    claimed_states: list

    @property
    def backwards(self) -> bool:
        return self.cursor is not None and self.cursor.backwards

    def part(self, conditions: list, rank: sa.ColumnElement, ordered: bool, limit: int) -> sa.Select:
        stmt = select(Task.id, rank.label("rank"), Task.starts_at).where(*conditions, *self.where)
        if ordered:
            direction = sa.desc if self.backwards else sa.asc
            # A range's rank is a constant (never an ORDER BY term: SQLite reads it as a position).
            keys = (
                [Task.starts_at, Task.id]
                if isinstance(rank, sa.sql.elements.ColumnClause)
                else [rank, Task.starts_at, Task.id]
            )
            stmt = stmt.order_by(*(direction(key) for key in keys))
        return stmt.limit(limit)

    def after(self, rank: int) -> list | None:
        """The cursor's condition in one range of this rank (None: the range lies behind it)."""
        if self.cursor is None:
            return []
        at = self.cursor.values[0]
        if rank == at:
            return [_past([Task.starts_at, Task.id], self.cursor.values[1:], self.backwards)]
        return [] if (rank > at) != self.backwards else None

    def range_parts(self, ordered: bool, limit: int) -> list[sa.Select]:
        parts = []
        for each, communities in self.ranges.items():
            past = self.after(BOARD_RANKS[each]) if ordered else []
            if past is None:
                continue
            split = len(communities) * len(self.ranges) <= MAX_RANGES
            for group in [[c] for c in sorted(communities)] if split else [sorted(communities)]:
                scope = Task.community_id.in_(group) if len(group) > 1 else Task.community_id == group[0]
                rank = sa.literal_column(str(BOARD_RANKS[each]))
                parts.append(self.part([scope, Task.state == each, *past], rank, ordered, limit))
        return parts

    def claimed_part(self, ordered: bool, limit: int) -> sa.Select:
        past = (
            [_past([_RANK, Task.starts_at, Task.id], self.cursor.values, self.backwards)]
            if self.cursor and ordered
            else []
        )
        listed = set().union(*self.ranges.values()) if self.ranges else set()
        outside = [Task.community_id.notin_(sorted(listed))] if listed else []
        mine = [_claimed_by(self.actor), Task.state.in_(self.claimed_states), *outside, *past]
        return self.part(mine, _RANK, ordered, limit)

    def __call__(self, _conditions: list, order: list, limit: int) -> sa.Select:
        # The cursor is pushed into each range here; `order` is empty only for the count.
        parts = self.range_parts(bool(order), limit)
        if self.claimed_states and self.community_id is None:
            parts.append(self.claimed_part(bool(order), limit))
        if not parts:
            return select(Task).where(sa.false()).limit(limit)
        found = sa.union_all(*(sa.select(p.subquery()) for p in parts)).subquery()
        stmt = select(Task).join(found, found.c.id == Task.id)
        if order:
            direction = sa.desc if self.backwards else sa.asc
            stmt = stmt.order_by(direction(found.c.rank), direction(found.c.starts_at), direction(found.c.id))
        return stmt.limit(limit)


def board_page(
    actor: Actor,
    *,
    now: datetime,
    cursor: Cursor | None,
    per_page: int,
    community_id: int | None = None,
    state: str | None = None,
    **filters,
) -> dict:
    """A keyset page of the board: rows of (task, live claims, claimable).

    The board lists what the reader can act on: posted and closed tasks of the communities they
    live in or reported to (双报到, themselves or through their units), every task of the
    communities where they manage tasks, and the running tasks they hold a live claim on. The
    live counts and whether each may be claimed are read for the page's rows only."""
    standing = standing_of(actor)
    build = _BoardQuery(
        actor=actor,
        ranges=board_ranges(actor, standing, community_id=community_id, state=state),
        where=_board_filters(standing, now, **filters),
        cursor=cursor,
        community_id=community_id,
        claimed_states=[s for s in ACTIONABLE if not state or s == state],
    )
    page = keyset(build, keys=[(Task.id, False)], row_key=board_row_key, cursor=cursor, per_page=per_page)
    page["items"] = with_counts(actor, page["items"], now=now, standing=standing)
    return page
