"""The pages people read: the catalogue (``/``), a device's passport (``/d/<public_code>``) and the
cluster's impact (``/impact``). Server-rendered over the services the API uses, with the API's access
rules (the caller is ``api.context.current_principal``: anonymous sees public listings, a member
also members-only ones). Views parse, call the services, and hand plain values to the templates.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import marshmallow as ma
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from marketplace.api.context import current_principal, current_read_connection, current_session
from marketplace.api.problems import flatten_messages
from marketplace.devices import service as devices
from marketplace.devices.codes import normalise_public_code
from marketplace.devices.passport import public_specs
from marketplace.errors import NotFound
from marketplace.impact import service as impact
from marketplace.listability.follow import key_findings
from marketplace.listability.follow import open_listing as open_listing_of
from marketplace.listings import schemas as listing_schemas
from marketplace.listings import search as listing_search
from marketplace.listings import service as listings
from marketplace.reports import history
from marketplace.web import charts, i18n, labels
from marketplace.web.findings import explain

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)

#: The catalogue form's fields, as the API names them (``listings.schemas.ListingQueryArgsSchema``),
#: plus prices in euros (the API's are in cents).
FORM_FIELDS = ("q", "kind", "mode", "min_grade", "department", "organisation_kind", "battery_min", "sort", "cursor")
PRICE_FIELDS = {"price_min_eur": "price_min", "price_max_eur": "price_max"}
PAGE_SIZE = 12


class FacetCache:
    """Facet counts of anonymous visitors' filters, kept ``ttl`` seconds in this process.

    The counts are a GROUP BY over every matching listing: at 100 k listings on PostgreSQL, some
    hundreds of milliseconds for the unfiltered catalogue, where the page of results itself takes a
    few (a keyset page). Anonymous visitors all see the same counts for the same filters (whatever
    the sort or page), so a short-lived copy serves them; counts may lag the catalogue by ``ttl``
    seconds. Signed-in members always get fresh counts (what they see depends on who they are)."""

    def __init__(self, ttl: float = 30.0, size: int = 512) -> None:
        self.ttl = ttl
        self.size = size
        self._items: OrderedDict[Any, tuple[float, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        now = time.monotonic()
        with self._lock:
            found = self._items.get(key)
            if found is not None and now - found[0] < self.ttl:
                self._items.move_to_end(key)
                return found[1]
        value = compute()
        with self._lock:
            self._items[key] = (now, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


_FILTER_FIELDS = tuple(f.name for f in dataclasses.fields(listing_search.SearchFilters))


def _query_from(args: Mapping[str, str]) -> tuple[listing_search.SearchQuery, dict[str, list[str]]]:
    """The search query the form asks for, and its invalid fields (then left out, with a message)."""
    data: dict[str, Any] = {k: args[k].strip() for k in FORM_FIELDS if args.get(k, "").strip()}
    errors: dict[str, list[str]] = {}
    for form_name, api_name in PRICE_FIELDS.items():
        text = args.get(form_name, "").strip().replace(",", ".")
        if not text:
            continue
        try:
            data[api_name] = round(float(text) * 100)
        except ValueError:
            errors[form_name] = [_("A number of euros.")]
    data["limit"] = PAGE_SIZE
    schema = listing_schemas.ListingQueryArgsSchema()
    try:
        query: listing_search.SearchQuery = schema.load(data, unknown=ma.EXCLUDE)
    except ma.ValidationError as exc:
        bad = flatten_messages(exc.messages)
        errors.update(bad)
        inverse = {v: k for k, v in PRICE_FIELDS.items()}
        errors = {inverse.get(k, k): v for k, v in errors.items()}
        query = schema.load({k: v for k, v in data.items() if k not in bad}, unknown=ma.EXCLUDE)
    return query, errors


def _form_values(args: Mapping[str, str]) -> dict[str, str]:
    names = (*FORM_FIELDS, *PRICE_FIELDS)
    return {k: args.get(k, "").strip() for k in names if k != "cursor"}


@bp.get("/")
def catalogue() -> Response:
    principal = current_principal()
    query, errors = _query_from(request.args)
    page = listing_search.search(current_read_connection(), principal, query)
    filters = listing_search.SearchFilters(**{name: getattr(query, name) for name in _FILTER_FIELDS})
    if principal is None:
        cache: FacetCache = current_app.extensions.setdefault("relife.web_facets", FacetCache())
        counts = cache.get(filters, lambda: listing_search.facets(current_session(), None, filters))
    else:
        counts = listing_search.facets(current_session(), principal, filters)
    codes = devices.public_codes(current_session(), [item["device_id"] for item in page["items"]])
    form = _form_values(request.args)
    filled: dict[str, Any] = {k: v for k, v in form.items() if v}
    next_url = url_for("web.catalogue", **filled, cursor=page["next_cursor"]) if page["next_cursor"] else None
    html = render_template(
        "catalogue.html",
        items=page["items"],
        codes=codes,
        counts=counts,
        form=form,
        errors=errors,
        next_url=next_url,
        first_url=url_for("web.catalogue", **filled) if query.cursor else None,
        labels=labels,
        sorts=labels.sorts(),
    )
    return Response(html, status=400 if errors else 200, mimetype="text/html")


@bp.get("/d/<code>")
def device(code: str) -> Response:
    normal = normalise_public_code(code)
    if normal is None:
        raise NotFound("No such device.")
    if normal != code:  # typed from a label: lower case, spaces, dashes
        return redirect(url_for("web.device", code=normal), 301)  # type: ignore[return-value]
    session = current_session()
    principal = current_principal()
    found = devices.device_by_public_code(session, normal)
    # The passport's rule decides who sees the device (404 otherwise), as in the API.
    passport = devices.get_passport(session, principal, found.id, limit=500)
    card = None
    open_listing = open_listing_of(session, found.id)
    if open_listing is not None:
        try:
            card = listings.get_listing(session, principal, open_listing.id)
        except NotFound:
            card = None
    findings = card["device"]["key_findings"] if card else key_findings(session, found)
    lang = i18n.locale()
    explained = [{**f, "words": explain(str(f.get("code")), lang)} for f in findings or []]
    erasures = [e for e in passport.items if e["kind"] == "erased"]
    timeline = [e for e in passport.items if e["kind"] in labels.TIMELINE_EVENTS]
    series = history.measure_history(session, found)
    html = render_template(
        "device.html",
        device=found,
        specs=public_specs(found.specs or {}),
        card=card,
        findings=explained,
        erasures=erasures,
        timeline=timeline,
        charts=_device_charts(series),
        impact=impact.device_impact(session, found) if _has_factors() else None,
        labels=labels,
    )
    return Response(html, mimetype="text/html")


def _has_factors() -> bool:
    try:
        impact.factor_set(current_session())
    except NotFound:
        return False
    return True


def _device_charts(series: list[history.Series]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    by_measure: dict[str, list[history.Series]] = {}
    for s in series:
        by_measure.setdefault(s.measure, []).append(s)
    for index, (measure, group) in enumerate(sorted(by_measure.items())):
        title, unit, top = labels.measure(measure)
        chart = charts.line_chart(
            f"chart{index}",
            title,
            [(s.label, s.points) for s in group],
            unit=unit,
            top=top,
            date_label=lambda t: i18n.date(t, "short"),
            number=i18n.number,
        )
        out.append((title, chart))
    return out


@bp.get("/impact")
def impact_page() -> Response:
    session = current_session()
    report = impact.impact_report(session)
    breakdown = impact.impact_breakdown(session)
    chosen, factors = impact.factor_set(session)
    by_month = charts.bar_chart(
        "impact-month",
        _("kg CO2e avoided by month"),
        [(_month(row["month"]), row["kg_co2e_avoided"]) for row in breakdown["by_month"]],
        unit=" kg",
        number=i18n.number,
    )
    by_kind = charts.bar_chart(
        "impact-orgkind",
        _("Devices passed on by kind of organisation"),
        [
            (labels.organisation_kind(r["kind"]), r["devices_reused"]["total"])
            for r in breakdown["by_organisation_kind"]
        ],
        number=i18n.number,
    )
    html = render_template(
        "impact.html",
        report=report,
        breakdown=breakdown,
        factor_set=chosen,
        factors=[factors[k] for k in sorted(factors)],
        by_month=by_month,
        by_kind=by_kind,
        labels=labels,
    )
    return Response(html, mimetype="text/html")


def _month(month: str) -> str:
    year, number = month.split("-")
    return i18n.date(dt.date(int(year), int(number), 1), "MMM y")
