"""Phone verification codes: one sender interface, a class named in the settings.

`VERIFICATION_SENDER` names a class (`package.module:Class`) built with the app's config; its
`send_code(phone, code)` sends the code by SMS and raises when it cannot. The development
sender writes the code to the log and keeps the latest per phone for a page that exists only in
development and tests. Without a sender, registering needs no code, and staff confirm the new
account before it earns points.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections import OrderedDict
from typing import Protocol

from points.notices.senders import load_class

log = logging.getLogger(__name__)


class CodeSender(Protocol):
    def send_code(self, phone: str, code: str) -> None: ...


class DevelopmentCodeSender:
    """Writes codes to the log, and remembers the latest few for the development page."""

    latest: OrderedDict[str, str] = OrderedDict()
    KEEP = 50

    def __init__(self, config: dict | None = None):
        self.config = config or {}

    def send_code(self, phone: str, code: str) -> None:
        log.info("verification code for %s: %s", phone, code)
        type(self).latest[phone] = code
        type(self).latest.move_to_end(phone)
        while len(type(self).latest) > self.KEEP:
            type(self).latest.popitem(last=False)


def sender_from(config) -> CodeSender | None:
    dotted = (config.get("VERIFICATION_SENDER") or "").strip()
    return load_class(dotted)(config) if dotted else None


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def code_hash(secret_key: str, phone: str, code: str) -> str:
    """Codes are six digits: a keyed hash, so a copy of the table does not give them away."""
    return hmac.new(secret_key.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def succeeded(response) -> bool:
    """A code sent or an account made: what counts against a phone's registration budget
    (typos and refusals do not, so a few mistakes never lock a phone out)."""
    return response.status_code < 400
