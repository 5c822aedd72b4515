"""Check-in pages: the scan page and its result, my attendance and my member card; for staff the
stations, an activity's check-in desk, the full-screen QR screen, the A4 poster and member cards.

`bp` is the blueprint; each module adds its pages to it when imported here.
"""

from points.checkin.pages import cards, desk, scan, screens, stations
from points.checkin.pages.base import bp

__all__ = ["bp", "cards", "desk", "scan", "screens", "stations"]
