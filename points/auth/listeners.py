"""How logins react to other domains' events."""

from __future__ import annotations

from datetime import datetime

from points.auth.operations import revoke_all_sessions
from points.signals import credentials_changed


@credentials_changed.connect
def end_sessions(_sender, *, person_id: int, now: datetime, **_) -> None:
    """A new password or a suspension ends every page session and API token of the person."""
    revoke_all_sessions(person_id=person_id, now=now)
