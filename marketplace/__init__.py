"""Relife marketplace API: ``create_app`` is the only place where the application is wired."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from flask import Flask

from marketplace.config import Config

#: Domain packages whose ``routes.blp`` is registered, in this order. A package appears here
#: once it exists; each registers its own blueprint.
BLUEPRINT_MODULES = (
    "marketplace.system.routes",
    "marketplace.members.routes",
    "marketplace.devices.routes",
    "marketplace.reports.routes",
    "marketplace.erasures.routes",
    "marketplace.imports.routes",
    "marketplace.impact.routes",
    "marketplace.fleet.routes",
    "marketplace.listings.routes",
    "marketplace.media.routes",
    "marketplace.reservations.routes",
    "marketplace.orders.routes",
    "marketplace.loans.routes",
    "marketplace.payments.routes",
    "marketplace.documents.routes",
    "marketplace.notifications.routes",
)

API_TITLE = "Relife API"
API_VERSION = "1.0.0"


def create_app(config: Config | None = None) -> Flask:
    from werkzeug.middleware.proxy_fix import ProxyFix

    from marketplace import cli, http, logsafe, models_registry, web
    from marketplace.api import context, problems
    from marketplace.api.smorest import Api
    from marketplace.db import make_engine, make_read_engine, make_session_factory, sqlite_url_for_path
    from marketplace.members.throttle import ActionThrottle, LoginThrottle
    from marketplace.system.routes import SWAGGER_UI_CONFIG, SWAGGER_UI_URL, assets_blp

    config = config or Config.from_env()
    app = Flask(__name__, instance_relative_config=True)
    if config.database_url is None:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        config = config.replace(database_url=sqlite_url_for_path(str(Path(app.instance_path) / "relife.db")))
    app.config.update(
        SECRET_KEY=config.secret_key,
        TESTING=config.testing,
        MAX_CONTENT_LENGTH=config.max_content_length,
        # Multipart bodies: at most this many parts (files + fields), each non-file field this big.
        MAX_FORM_PARTS=config.max_form_parts,
        MAX_FORM_MEMORY_SIZE=1024 * 1024,
        RELIFE=config,
        API_TITLE=API_TITLE,
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=SWAGGER_UI_URL,
        OPENAPI_SWAGGER_UI_CONFIG=SWAGGER_UI_CONFIG,
        API_SPEC_OPTIONS=_spec_options(),
    )
    models_registry.import_all()
    engine = make_engine(config.database_url or "")
    app.extensions["relife.engine"] = engine
    app.extensions["relife.read_engine"] = make_read_engine(engine)
    app.extensions["relife.db"] = context.DatabaseState(factory=make_session_factory(engine))
    app.extensions["relife.throttle"] = LoginThrottle(
        failures_per_account=config.login_failures_per_account,
        attempts_per_address=config.login_attempts_per_address,
        window_seconds=config.login_window_seconds,
        storage_uri=config.redis_url or "memory://",
        failures_per_account_all_addresses=config.login_failures_per_account_all_addresses,
    )
    app.extensions["relife.action_throttle"] = ActionThrottle(
        storage_uri=config.redis_url or "memory://",
        enabled=config.action_limits if config.action_limits is not None else not config.testing,
    )
    logsafe.install(app.logger)
    logsafe.install(logging.getLogger("marketplace"))
    http.register(app, config)
    api = Api(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "rlf_… token"}
    )
    for module_name in BLUEPRINT_MODULES:
        api.register_blueprint(importlib.import_module(module_name).blp)
    app.register_blueprint(assets_blp)
    app.register_blueprint(importlib.import_module("marketplace.documents.routes").pages)
    web.register(app)
    problems.register(app)
    context.register(app)
    cli.register(app)
    if config.trusted_proxies:
        # Outermost: every layer of the app sees the client's address and scheme, not the proxy's.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=config.trusted_proxies, x_proto=config.trusted_proxies
        )
    return app


def _spec_options() -> dict[str, Any]:
    return {
        "info": {
            "description": "Relife: members of a regional responsible-digital cluster pass retired "
            "hardware on to each other. Errors are RFC 9457 problem details.",
        },
        "security": [{}, {"bearerAuth": []}],
    }
