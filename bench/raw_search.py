"""The baseline of bench/search.py: a minimal hand-written WSGI handler for the catalogue search.

No framework, no ORM, no schema: parse the query string, run the same SQL as Relife's search with
psycopg (one autocommit connection per thread), build the same JSON with orjson. It supports the
filters the benchmark sends and answers 400 to anything else. Served by gunicorn exactly as the
real app is: ``gunicorn --pythonpath bench 'raw_search:make_app()'`` with ``RAW_DATABASE_URL`` set.
"""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

import orjson
import psycopg
import psycopg.types.json

COLUMNS = (
    "l.id, l.device_id, l.organisation_id, l.status, l.mode, l.visibility, l.price_cents, l.currency, "
    "l.warranty_months, l.min_days, l.max_days, l.deposit_cents, l.eligible_kinds, l.postcode, l.department, "
    "l.description, l.created_at, l.updated_at, l.kind, l.make, l.model, l.specs, l.health, l.grade, "
    "l.cosmetic_grade, l.battery_health_pct, l.key_findings, l.remaining_life, o.name, l.organisation_kind, "
    "o.department, l.suspended_reason, l.return_days"
)
GRADES = {"A": 1, "B": 2, "C": 3, "D": 4, "F": 5}
SORTS = {
    "price": (("l.search_price_cents", "l.id"), False),
    "-price": (("l.search_price_cents", "l.id"), True),
    "grade": (("l.grade_rank", "l.id"), False),
    "newest": (("l.id",), True),
}
EQUAL = {"kind": "l.kind", "mode": "l.mode", "department": "l.department", "organisation_kind": "l.organisation_kind"}
AT_LEAST = {"price_min": "l.search_price_cents", "ram_min": "l.ram_gb", "storage_min": "l.storage_gb"}


def build(params: dict[str, str]) -> tuple[str, list[Any], str, int]:
    sort = params.pop("sort", "newest")
    keys, descending = SORTS[sort]
    limit = int(params.pop("limit", "20"))
    where = ["l.status = 'active'", "l.visibility = 'public'"]
    args: list[Any] = []
    for name, value in params.items():
        if name in EQUAL:
            where.append(f"{EQUAL[name]} = %s")
            args.append(value)
        elif name in AT_LEAST:
            where.append(f"{AT_LEAST[name]} >= %s")
            args.append(int(value))
        elif name == "price_max":
            where.append("l.search_price_cents <= %s")
            args.append(int(value))
        elif name == "min_grade":
            where.append("l.grade_rank <= %s")
            args.append(GRADES[value])
        elif name == "q":
            for word in value.lower().split():
                where.append("l.search_text LIKE %s")
                args.append("%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        elif name != "cursor":
            raise ValueError(name)
    if "cursor" in params:
        raw = params["cursor"]
        values = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        if values[0] != sort:
            raise ValueError("cursor")
        op = "<" if descending else ">"
        where.append(f"({', '.join(keys)}) {op} ({', '.join(['%s'] * len(keys))})")
        args.extend(values[1:])
    order = ", ".join(f"{k} DESC" if descending else k for k in keys)
    sql = (
        f"SELECT {COLUMNS}, {', '.join(keys)} FROM listings l JOIN organisations o ON o.id = l.organisation_id "
        f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT %s"
    )
    args.append(limit + 1)
    return sql, args, sort, limit


def item(r: tuple[Any, ...]) -> dict[str, Any]:
    return {
        "id": r[0],
        "device_id": r[1],
        "status": r[3],
        "mode": r[4],
        "visibility": r[5],
        "price_cents": r[6],
        "currency": r[7],
        "warranty_months": r[8],
        "return_days": r[32],
        "min_days": r[9],
        "max_days": r[10],
        "deposit_cents": r[11],
        "eligible_kinds": r[12],
        "postcode": r[13],
        "department": r[14],
        "description": r[15],
        "created_at": r[16],
        "updated_at": r[17],
        "device": {
            "kind": r[18],
            "make": r[19],
            "model": r[20],
            "specs": r[21],
            "health": r[22],
            "grade": r[23],
            "cosmetic_grade": r[24],
            "battery_health_pct": r[25],
            "key_findings": r[26],
            "remaining_life": r[27],
        },
        "organisation": {"id": r[2], "name": r[28], "kind": r[29], "department": r[30]},
        "status_reason": r[31],
    }


def make_app() -> Callable[..., Iterable[bytes]]:
    url = os.environ["RAW_DATABASE_URL"]
    local = threading.local()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            sql, args, sort, limit = build(dict(parse_qsl(environ.get("QUERY_STRING", ""))))
        except (ValueError, KeyError):
            start_response("400 Bad Request", [("Content-Type", "text/plain"), ("Content-Length", "3")])
            return [b"bad"]
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = psycopg.connect(url, autocommit=True)
            psycopg.types.json.set_json_loads(orjson.loads, conn)
        rows = conn.execute(sql, args).fetchall()
        cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            width = len(SORTS[sort][0])
            token = orjson.dumps([sort, *rows[-1][-width:]])
            cursor = base64.urlsafe_b64encode(token).decode().rstrip("=")
        body = orjson.dumps({"items": [item(r) for r in rows], "next_cursor": cursor})
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app
