"""Server time of the catalogue page (issue 15): ``GET /`` rendered by the application itself.

Run: ``.venv/bin/python bench/pages.py --database-url postgresql://postgres@127.0.0.1:5432/test
--rows 100000``. It creates a fresh database next to the one named in the URL, fills it with
``--rows`` realistic listings (``bench/search.py``'s loader), then times ``--requests`` page loads
in process (the WSGI application called directly: routing, the search and its facet counts, the
page's template, headers; no network or server in between) over a fixed mix of what visitors do:
the first page, filters, the four sorts, a second page through the "next page" link, both
languages. Progress goes to stderr; the last stdout line is one JSON object
``{"rows", "fresh_counts", "requests", "page_p50_ms", "page_p99_ms", "page_max_ms", "by_kind": {...}}``.
Anonymous visitors' facet counts are kept 30 s per filter set (``web.views.FacetCache``), so the mix
mostly times the page without its counts; ``--fresh-counts`` recounts on every load (what a
signed-in member's page costs).
The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from search import create_database, drop_database, fill, libpq_url, log  # noqa: E402

from marketplace import create_app, migrate  # noqa: E402
from marketplace.config import Config, normalise_database_url  # noqa: E402
from marketplace.web.views import FacetCache  # noqa: E402

MIX = [
    ("first page", "/"),
    ("first page, English", "/?lang=en"),
    ("laptops", "/?kind=laptop"),
    ("for sale by price", "/?mode=sale&sort=price"),
    ("by price, highest", "/?sort=-price"),
    ("best grade", "/?sort=grade&min_grade=B"),
    ("department and battery", "/?department=69&battery_min=80"),
    ("text search", "/?q=thinkpad"),
    ("price cap", "/?mode=sale&price_max_eur=300&sort=price"),
]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server URL (a database is created)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=1000, help="timed page loads")
    parser.add_argument(
        "--fresh-counts",
        action="store_true",
        help="recount the facets on every load (as for a signed-in member) instead of the page's 30 s copy",
    )
    args = parser.parse_args(argv)
    if not normalise_database_url(args.database_url).startswith("postgresql"):
        parser.error("the benchmark needs PostgreSQL (its loader uses COPY)")

    name, url = create_database(args.database_url)
    try:
        log(f"database {name}: migrating")
        migrate.upgrade(url)
        fill(libpq_url(url), args.rows)
        app = create_app(Config(database_url=url))
        client = app.test_client()
        if args.fresh_counts:
            app.extensions["relife.web_facets"] = FacetCache(ttl=0)
        targets = list(MIX)
        for label, path in MIX[:4]:  # their second pages, through the page's own "next page" link
            page = client.get(path).get_data(as_text=True)
            found = re.search(r'<a rel="next" href="([^"]+)"', page)
            if found:
                targets.append((f"{label}, page 2", html.unescape(found.group(1))))
        for _label, path in targets:
            response = client.get(path)
            if response.status_code != 200 or '<ul class="cards"' not in response.get_data(as_text=True):
                raise RuntimeError(f"{path}: {response.status_code}, no result cards")
        for _ in range(3):  # warm-up: prepared statements, template compilation
            for _label, path in targets:
                client.get(path)
        times: dict[str, list[float]] = {label: [] for label, _path in targets}
        for n in range(args.requests):
            label, path = targets[n % len(targets)]
            started = time.perf_counter()
            response = client.get(path)
            times[label].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        every = [t for values in times.values() for t in values]
        result = {
            "rows": args.rows,
            "fresh_counts": args.fresh_counts,
            "requests": len(every),
            "page_p50_ms": round(statistics.median(every), 2),
            "page_p99_ms": round(_percentile(every, 0.99), 2),
            "page_max_ms": round(max(every), 2),
            "by_kind": {label: round(statistics.median(values), 2) for label, values in times.items()},
        }
        app.extensions["relife.engine"].dispose()
        print(json.dumps(result))
    finally:
        drop_database(args.database_url, name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
