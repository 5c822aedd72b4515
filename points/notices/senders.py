"""Delivery beyond the app: one interface, a class named in the settings.

`NOTICE_SENDER` names a class (`package.module:Class` or `package.module.Class`) built with the
app's config; its `send(notice)` hands one notice to SMS, WeChat subscription messages or the
like, and raises to say it failed (the delivery job tries again later). Empty: notices stay in
the app. The development sender writes each notice to the log.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingNotice:
    """What a sender gets: who, what (in Chinese, the source language) and where it links."""

    notice_id: int
    person_id: int
    phone: str
    kind: str
    text: str


class NoticeSender(Protocol):
    def send(self, notice: OutgoingNotice) -> None: ...


class LoggingSender:
    """The development sender: the notice goes to the log, nowhere else."""

    def __init__(self, config: dict | None = None):
        self.config = config or {}

    def send(self, notice: OutgoingNotice) -> None:
        log.info("notice %s to person %s: %s", notice.notice_id, notice.person_id, notice.text)


def load_class(dotted: str) -> type:
    """The class `dotted` names: `package.module:Class` or `package.module.Class`."""
    module_name, _, class_name = dotted.replace(":", ".").rpartition(".")
    return getattr(importlib.import_module(module_name), class_name)


def sender_from(config) -> NoticeSender | None:
    """The configured sender, or None when notices stay in the app."""
    dotted = (config.get("NOTICE_SENDER") or "").strip()
    return load_class(dotted)(config) if dotted else None
