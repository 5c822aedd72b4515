"""The README shows three screenshots of the pages, and each is there (made from
build/screenshots/, which the browser tests fill)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_shows_three_screenshots_that_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r"!\[[^\]]+\]\((docs/screenshots/[^)]+\.png)\)", readme)
    assert len(shown) >= 3
    for path in shown:
        data = (ROOT / path).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 1000, path
