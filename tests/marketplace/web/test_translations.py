"""The message catalogues: every message the pages use has its French, and the compiled catalogue
that an install ships (``messages.mo``, committed) says what its source (``messages.po``) says."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from marketplace.web import i18n

WEB = Path(i18n.__file__).resolve().parent
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]


def _used() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(WEB, METHODS, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _key(value: str | tuple[str, ...] | list[str]) -> str | tuple[str, ...]:
    return value if isinstance(value, str) else tuple(value)


def _catalogue(name: str) -> Path:
    return WEB / "translations" / "fr" / "LC_MESSAGES" / name


def test_every_message_of_the_pages_has_its_french() -> None:
    with _catalogue("messages.po").open("rb") as source:
        french = read_po(source)
    translated = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in french
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
    }
    used = _used()
    assert len(used) > 100
    assert sorted(used - translated) == []


def test_the_compiled_catalogue_is_up_to_date() -> None:
    with _catalogue("messages.po").open("rb") as source:
        po = {_key(m.id): _key(m.string) for m in read_po(source) if m.id}
    with _catalogue("messages.mo").open("rb") as compiled:
        mo = {_key(m.id): _key(m.string) for m in read_mo(compiled) if m.id}
    assert mo == po, "run: pybabel compile -d marketplace/web/translations"
