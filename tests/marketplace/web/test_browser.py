"""The site in a real browser (Debian's Chromium driven by Playwright, never a downloaded one) on
the demo cluster: a visitor filters, sorts, pages, opens a device and switches language. No console
error, no request to another origin, and no WCAG 2 A/AA violation found by axe-core on any page."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from marketplace import create_app, migrate
from marketplace.config import Config
from tests.dbutil import fresh_database

CHROMIUM = os.environ.get("RELIFE_CHROMIUM") or next(
    (p for p in ("/usr/lib/chromium/chromium", shutil.which("chromium") or "") if p and Path(p).exists()), None
)
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo cluster (``flask seed-demo``: real corpus reports, graded) served on a free port."""
    from werkzeug.serving import make_server

    with fresh_database(tmp_path_factory.mktemp("web"), "web") as url:
        migrate.upgrade(url)
        app: Flask = create_app(Config(database_url=url, testing=True, secret_key="test-secret"))
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            thread.join()
            app.extensions["relife.engine"].dispose()


def _euros(text: str) -> float:
    digits = re.sub(r"[^0-9,]", "", text).replace(",", ".")
    return float(digits)


def test_a_visitor_walks_the_catalogue_in_a_real_browser(demo_site: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
    if CHROMIUM is None:
        pytest.skip("no Chromium (Debian's package 'chromium'; or set RELIFE_CHROMIUM)")
    axe = axe_module.Axe()
    problems: list[str] = []
    requests: list[str] = []
    violations: dict[str, Any] = {}

    def check_accessibility(page: Any) -> None:
        results = axe.run(page, options=WCAG)
        if results.violations_count:
            violations[page.url] = results.generate_report()

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
            page = context.new_page()
            page.on("console", lambda m: m.type in ("error", "warning") and problems.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("request", lambda r: requests.append(r.url))

            page.goto(demo_site + "/")
            assert page.locator("html").get_attribute("lang") == "fr"
            assert page.title() == "Catalogue des appareils reconditionnés · Relife"
            first = page.locator(".card h3 a").all_inner_texts()
            assert len(first) == 12
            check_accessibility(page)

            # Next page: the rest of the public catalogue, none of the first page again.
            page.get_by_role("link", name="Page suivante").click()
            page.wait_for_load_state()
            second = page.locator(".card h3 a").all_inner_texts()
            assert second and not set(second) & set(first)

            # Filter and sort with the form, as a visitor would (keyboard-reachable controls).
            page.get_by_role("link", name="Effacer les filtres").click()
            page.get_by_label("Type").select_option("laptop")
            page.get_by_label("Offre").select_option("sale")
            page.get_by_label("Tri").select_option("price")
            page.get_by_role("button", name="Afficher").click()
            page.wait_for_load_state()
            assert "kind=laptop" in page.url and "mode=sale" in page.url and "sort=price" in page.url
            assert all(t.startswith("Ordinateur portable") for t in page.locator(".card .kind").all_inner_texts())
            prices = [_euros(t) for t in page.locator(".card .price").all_inner_texts()]
            assert len(prices) >= 2 and prices == sorted(prices)
            assert all(t.endswith("€") for t in page.locator(".card .price").all_inner_texts())  # French format
            check_accessibility(page)

            # Open a device: its passport in plain French, with its grade.
            name = page.locator(".card h3 a").first.inner_text()
            page.locator(".card h3 a").first.click()
            page.wait_for_load_state()
            assert re.fullmatch(r".*/d/[2-9A-HJKMNP-TV-Z]{10}", page.url)
            assert page.get_by_role("heading", level=1).inner_text() == name
            assert page.get_by_role("heading", name="Ce que le diagnostic a relevé").count() == 1
            assert page.locator(".finding").count() >= 1
            check_accessibility(page)

            # Switch to English: this page, then the next ones (remembered).
            page.get_by_role("link", name="English").click()
            page.wait_for_load_state()
            assert page.locator("html").get_attribute("lang") == "en"
            assert page.get_by_role("heading", name="What the diagnostics found").count() == 1
            page.get_by_role("link", name="Impact").click()
            page.wait_for_load_state()
            assert page.locator("html").get_attribute("lang") == "en"
            assert page.title() == "The cluster's impact · Relife"
            assert page.locator("svg.chart").count() == 2
            check_accessibility(page)

            page.goto(demo_site + "/no-such-page")
            assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
            check_accessibility(page)

            # A certificate's verification page (here an unknown number): the site's layout and language.
            page.goto(demo_site + "/verify/ABCDEFGHJKMN")
            assert page.title() == "Erasure certificate verification ABCDEFGHJKMN · Relife"
            assert page.get_by_role("status").get_by_role("heading").inner_text() == "Unknown certificate"
            check_accessibility(page)
        finally:
            browser.close()
    # The 404 answer itself is the only resource error the browser may report.
    assert [p for p in problems if "404" not in p] == []
    assert requests and all(r.startswith(demo_site + "/") for r in requests), requests
    assert violations == {}, "\n".join(violations.values())


def test_a_member_signs_in_and_out_in_a_real_browser(demo_site: str) -> None:
    """The sign-in form with a wrong then the right password, the account page of a member who
    joined by invitation, signing out; an HttpOnly, SameSite=Lax cookie; no WCAG 2 A/AA violation."""
    sync_api = pytest.importorskip("playwright.sync_api")
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
    if CHROMIUM is None:
        pytest.skip("no Chromium (Debian's package 'chromium'; or set RELIFE_CHROMIUM)")
    from marketplace.demo.seed import DEMO_PASSWORD

    axe = axe_module.Axe()
    violations: dict[str, Any] = {}

    def check_accessibility(page: Any) -> None:
        results = axe.run(page, options=WCAG)
        if results.violations_count:
            violations[page.url] = results.generate_report()

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(locale="fr-FR")
            page = context.new_page()
            page.goto(demo_site + "/")
            page.get_by_role("link", name="Se connecter").click()
            page.get_by_label("Adresse e-mail").fill("hugo.univ@relife.example")
            page.get_by_label("Mot de passe").fill("not the password")
            page.get_by_role("button", name="Se connecter").click()
            page.wait_for_load_state()
            assert page.get_by_role("alert").inner_text() == "Adresse e-mail ou mot de passe incorrect."
            check_accessibility(page)

            page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Se connecter").click()
            page.wait_for_load_state()
            assert page.url == demo_site + "/account"
            assert page.get_by_role("heading", level=1).inner_text() == "Mon compte"
            assert "Université Lumière Demo" in page.locator("main").inner_text()  # joined by invitation
            [cookie] = [c for c in context.cookies() if c["name"] == "relife_session"]
            assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
            check_accessibility(page)

            # The pages our emails link to (web.links), as shown before any button is pressed.
            for path in (
                "/account/verify-email?token=x",
                "/account/reset-password?token=x",
                "/invitations/accept?token=x",
                "/organisations/1/stripe-onboarding/return",
                "/organisations/1/stripe-onboarding/refresh",
            ):
                page.goto(demo_site + path)
                check_accessibility(page)
            page.goto(demo_site + "/account")

            page.get_by_role("button", name="Se déconnecter").click()
            page.wait_for_load_state()
            assert page.url == demo_site + "/"
            assert page.get_by_role("link", name="Se connecter").count() == 1
            assert [c for c in context.cookies() if c["name"] == "relife_session"] == []
        finally:
            browser.close()
    assert violations == {}, "\n".join(violations.values())
