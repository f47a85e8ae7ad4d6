"""The message catalogues: every message the pages and the documents (PDFs, the ``/verify`` page)
use has its French, and the compiled catalogue that an install ships (``messages.mo``, committed)
says what its source (``messages.po``) says."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from marketplace.documents import i18n as documents_i18n
from marketplace.web import i18n

WEB = Path(i18n.__file__).resolve().parent
DOCUMENTS = Path(documents_i18n.__file__).resolve().parent
# As in marketplace/web/babel.cfg: the documents' ``text(lang, message)`` and templates' ``t(message)``.
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "text": (2,), "t": None}
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]


def _used(where: Path = WEB) -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(where, METHODS, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _french() -> set[str]:
    with _catalogue("messages.po").open("rb") as source:
        french = read_po(source)
    return {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in french
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
    }


def _key(value: str | tuple[str, ...] | list[str]) -> str | tuple[str, ...]:
    return value if isinstance(value, str) else tuple(value)


def _catalogue(name: str) -> Path:
    return WEB / "translations" / "fr" / "LC_MESSAGES" / name


def test_every_message_of_the_pages_has_its_french() -> None:
    used = _used()
    assert len(used) > 100
    assert sorted(used - _french()) == []


def test_every_message_of_the_documents_has_its_french() -> None:
    used = _used(DOCUMENTS)
    # The invoices' legal mentions, the certificate's and the verification page's words, the labels'.
    assert {"Net à payer", "Certificat d'effacement des données"} <= {
        documents_i18n.text("fr", m) for m in ("Amount due", "Data erasure certificate")
    }
    assert len(used) > 80
    assert sorted(used - _french()) == []


def test_the_documents_speak_french_from_the_compiled_catalogue() -> None:
    """The PDFs read the compiled catalogue (no request locale): French by default, English msgids."""
    assert documents_i18n.text("fr", "VAT {rate} %", rate="20") == "TVA 20 %"
    assert documents_i18n.text("en", "VAT {rate} %", rate="20") == "VAT 20 %"
    assert documents_i18n.text("de", "Invoice") == "Facture"
    assert documents_i18n.kind_name("fr", "desktop") == "Ordinateur de bureau"
    assert documents_i18n.money("fr", 123456) == "1\u00a0234,56\u00a0€"
    assert documents_i18n.money("en", -20000) == "-€200.00"


def test_the_compiled_catalogue_is_up_to_date() -> None:
    with _catalogue("messages.po").open("rb") as source:
        po = {_key(m.id): _key(m.string) for m in read_po(source) if m.id}
    with _catalogue("messages.mo").open("rb") as compiled:
        mo = {_key(m.id): _key(m.string) for m in read_mo(compiled) if m.id}
    assert mo == po, "run: pybabel compile -d marketplace/web/translations"
