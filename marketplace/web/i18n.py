"""Which language a page speaks, and numbers, prices and dates as its readers write them.

French first: a visitor reads French unless they asked for English, by the switch (``?lang=en``,
then remembered in a cookie) or by their browser's ``Accept-Language``. Messages are gettext
catalogues (``translations/``, msgids in English), read through Flask-Babel.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel import numbers
from flask import Flask, Response, request
from flask_babel import Babel, format_currency, format_date, format_decimal, get_locale

LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
#: The switch's cookie: a preference, not a session (the site keeps none); a year.
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
TIMEZONE = "Europe/Paris"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def asked_locale() -> str | None:
    """The language named by the switch in this request, if any (then remembered)."""
    value = request.args.get("lang")
    return value if value in LOCALES else None


def select_locale() -> str:
    asked = asked_locale()
    if asked:
        return asked
    remembered = request.cookies.get(COOKIE)
    if remembered in LOCALES:
        return str(remembered)
    return request.accept_languages.best_match(LOCALES, default=DEFAULT_LOCALE) or DEFAULT_LOCALE


def locale() -> str:
    return str(get_locale() or DEFAULT_LOCALE)


def remember(response: Response) -> Response:
    """Keep the switch's choice, and tell caches the page depends on the language."""
    asked = asked_locale()
    if asked:
        response.set_cookie(COOKIE, asked, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True)
    response.vary.update(("Accept-Language", "Cookie"))
    return response


def money(cents: int | None, currency: str = "EUR") -> str:
    if cents is None:
        return ""
    return str(format_currency(cents / 100, currency))


def number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return ""
    return str(format_decimal(round(value, digits)))


def percent(value: float | None) -> str:
    """``74.5`` (a percentage) as its readers write it: "74,5 %" in French, "74.5%" in English."""
    if value is None:
        return ""
    # The locale's own pattern (its spacing and sign), with the figure's one decimal kept.
    # Decimal: 92.8 / 100 as a float is 0.9279999999999999, which Babel would print in full.
    fraction = Decimal(str(round(value, 1))) / 100
    return str(numbers.format_percent(fraction, locale=locale(), decimal_quantization=False))


def date(value: dt.datetime | dt.date | str | None, style: str = "long") -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
        try:
            value = dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)
        except ValueError:
            return text
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return str(format_date(value, style))


def init(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", TIMEZONE)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    Babel(app, locale_selector=select_locale)
    helpers: dict[str, Any] = {"money": money, "number": number, "percent": percent, "date": date, "locale": locale}
    app.jinja_env.globals.update(helpers)
