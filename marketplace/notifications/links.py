"""Where emailed links point and who the messages are from, carried by the session.

The app (``api.context.current_session``, ``cli.command_session``) attaches the configuration's
``PUBLIC_URL`` and sender to each session it opens, so domain services write messages without a
mail argument in every signature and without reading Flask's globals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from marketplace.config import DEVELOPMENT_PUBLIC_URL
from marketplace.notifications.outbox import domain_of

INFO_KEY = "relife.mail"


@dataclass(frozen=True, slots=True)
class MailLinks:
    public_url: str
    sender_domain: str

    @classmethod
    def from_config(cls, config: Any) -> MailLinks:
        return cls((config.public_url or DEVELOPMENT_PUBLIC_URL).rstrip("/"), domain_of(config.mail_from))

    def url(self, path: str) -> str:
        return f"{self.public_url}{path}"


DEFAULT = MailLinks(DEVELOPMENT_PUBLIC_URL, "relife.example")


def attach(session: Session, config: Any) -> None:
    session.info[INFO_KEY] = MailLinks.from_config(config)


def of(session: Session) -> MailLinks:
    links: MailLinks = session.info.get(INFO_KEY, DEFAULT)
    return links
