"""The words of the documents (PDFs and the ``/verify`` page), in the site's message catalogues.

One catalogue for pages and documents: the msgids are English, written where they are used
(``text(lang, "Invoice")``), their French is in ``marketplace/web/translations`` (extracted with the
pages', see ``marketplace/web/babel.cfg``). One language rule too: the pages' (``?lang=``, then the
switch's cookie, then ``Accept-Language``, else French), from ``marketplace.web.i18n``.

The PDFs are drawn outside templates and outside Flask-Babel's request locale, in the language they
are asked for: Babel's ``Translations`` read directly, and Babel's number and date formats for that
locale. Placeholders are ``str.format`` ones (``{number}``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache

from babel import dates, numbers
from babel.support import NullTranslations, Translations

from marketplace.web import i18n as web_i18n

LANGUAGES = web_i18n.LOCALES
DEFAULT = web_i18n.DEFAULT_LOCALE


def N_(message: str) -> str:
    """Marks a message for extraction; translated where it is shown."""
    return message


KINDS: Mapping[str, str] = {
    "laptop": N_("Laptop"),
    "desktop": N_("Desktop computer"),
    "server": N_("Server"),
    "screen": N_("Screen"),
    "phone": N_("Phone"),
    "tablet": N_("Tablet"),
    "other": N_("Device"),
}

METHODS: Mapping[str, str] = {
    "clear": N_("clear"),
    "purge": N_("purge"),
    "destroy": N_("destroy"),
}

REMOVALS: Mapping[str, str] = {
    "kept": N_("kept by the organisation"),
    "destroyed": N_("destroyed"),
    "moved": N_("moved to another device"),
}


def current_language() -> str:
    """The pages' rule: ``?lang=``, the switch's cookie, ``Accept-Language``, else French."""
    return web_i18n.select_locale()


@cache
def _translations(lang: str) -> NullTranslations:
    if lang not in LANGUAGES:
        lang = DEFAULT
    return Translations.load(str(web_i18n.TRANSLATIONS), [lang])


def text(lang: str, message: str, **values: object) -> str:
    """``message`` (English) in ``lang``, its ``{placeholders}`` filled."""
    translated = _translations(lang).gettext(message)
    return translated.format(**values) if values else translated


def kind_name(lang: str, kind: str) -> str:
    known = KINDS.get(kind)
    return text(lang, known) if known else kind.replace("_", " ").capitalize()


def method_name(lang: str, method: str) -> str:
    known = METHODS.get(method)
    return text(lang, known) if known else method


def removal_outcome(lang: str, outcome: str) -> str:
    known = REMOVALS.get(outcome)
    return text(lang, known) if known else outcome


def _pdf(value: str) -> str:
    # Helvetica's WinAnsi encoding has no narrow no-break space (CLDR's French digit grouping).
    return value.replace("\u202f", "\u00a0")


def date(lang: str, day: dt.date | dt.datetime) -> str:
    """A day as its readers write it (``07/12/2026``, ``Dec 7, 2026``); a moment with its time, in UTC."""
    if isinstance(day, dt.datetime):
        moment = day.astimezone(dt.UTC) if day.tzinfo else day.replace(tzinfo=dt.UTC)
        shown = dates.format_date(moment.date(), "short" if lang == "fr" else "medium", locale=lang)
        return _pdf(f"{shown} {dates.format_time(moment.time(), 'HH:mm', locale=lang)} UTC")
    return _pdf(dates.format_date(day, "short" if lang == "fr" else "medium", locale=lang))


def money(lang: str, cents: int, currency: str = "EUR") -> str:
    """``1 234,56 €`` in French, ``€1,234.56`` in English."""
    return _pdf(numbers.format_currency(cents / 100, currency, locale=lang))


def capacity(lang: str, size: int | None) -> str:
    if not size:
        return "—"
    value = size / 1e9
    unit = text(lang, "GB")
    if value >= 1000:
        value, unit = value / 1000, text(lang, "TB")
    shown = numbers.format_decimal(round(value, 0 if value >= 100 else 1), "0.#", locale=lang)
    return _pdf(f"{shown} {unit}")
