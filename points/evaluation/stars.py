"""Star ratings (星级) by the district's scheme: bands of yearly 红松分, or the 100-point scheme
(base 60, additions from points, approved deductions; 60–69 ★ … 96+ ★★★★★)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from points.ledger.stars import bands, star_level

BANDS, HUNDRED = "bands", "hundred"
BASE_SCORE = 60
MOST_ADDED = 40
# The lowest score of one star, two, … five.
HUNDRED_BANDS = (60, 70, 80, 90, 96)


@dataclass(frozen=True)
class Rating:
    scheme: str
    stars: int | None  # None: exempt (免评)
    score: int | None  # the 100-point score; None in the bands scheme or when exempt
    exempt: bool = False


def district_of(community_path: str | None) -> int | None:
    """The district's node id in a community's path "/city/district/street/community/"."""
    parts = [p for p in (community_path or "").split("/") if p]
    return int(parts[1]) if len(parts) > 1 else None


def scheme_for(community_path: str | None) -> str:
    """The configured scheme of the community's district (EVALUATION_DISTRICT_SCHEMES), else the
    default (EVALUATION_STAR_SCHEME)."""
    district = district_of(community_path)
    for entry in str(current_app.config.get("EVALUATION_DISTRICT_SCHEMES", "")).split(","):
        node, _, scheme = entry.strip().partition(":")
        if node.isdigit() and int(node) == district and scheme in (BANDS, HUNDRED):
            return scheme
    scheme = current_app.config.get("EVALUATION_STAR_SCHEME", BANDS)
    return scheme if scheme in (BANDS, HUNDRED) else BANDS


def hundred_score(points: int, deducted: int) -> int:
    per = max(1, int(current_app.config.get("EVALUATION_POINTS_PER_SCORE", 5)))
    return max(0, BASE_SCORE + min(MOST_ADDED, max(0, points) // per) - deducted)


def rate(scheme: str, *, points: int, deducted: int = 0, exempt: bool = False) -> Rating:
    """A member's rating for a year from their yearly 红松分 and approved deductions."""
    if exempt:
        return Rating(scheme=scheme, stars=None, score=None, exempt=True)
    if scheme == HUNDRED:
        score = hundred_score(points, deducted)
        return Rating(scheme=scheme, stars=star_level(score, HUNDRED_BANDS), score=score)
    return Rating(scheme=scheme, stars=star_level(points, bands()), score=None)
