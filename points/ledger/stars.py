"""Star ratings (星级): a year's 红松分 against the configured bands."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from points.db import LOCAL_TZ, utcnow
from points.ledger.queries import earned_in_year


@dataclass(frozen=True)
class StarLevel:
    year: int
    points: int
    stars: int  # 0 to len(bands)
    bands: tuple[int, ...]

    @property
    def next_at(self) -> int | None:
        """Points the next star needs, or None at the top."""
        return self.bands[self.stars] if self.stars < len(self.bands) else None


def bands() -> tuple[int, ...]:
    """Yearly 红松分 for one star, two, …; ascending (STAR_BANDS, e.g. "20,50,100,160,240")."""
    return tuple(sorted(int(x) for x in str(current_app.config["STAR_BANDS"]).split(",") if x.strip()))


def star_level(points: int, thresholds: tuple[int, ...]) -> int:
    return sum(1 for threshold in thresholds if points >= threshold)


def person_stars(person_id: int, *, year: int | None = None) -> StarLevel:
    """The person's star level so far this (local) year, from their posted 红松分."""
    year = year or utcnow().astimezone(LOCAL_TZ).year
    points = earned_in_year("person", person_id, "hongsong", year)
    thresholds = bands()
    return StarLevel(year=year, points=points, stars=star_level(points, thresholds), bands=thresholds)
