"""One configuration object with defaults that start the service with no environment.

``Config.from_env()`` is the only place that reads the environment; values are coerced
explicitly so that a typo in a deployment fails at start-up, not at the first request.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEVELOPMENT_PUBLIC_URL = "http://127.0.0.1:5000"  # `flask run`: where emailed links point without PUBLIC_URL
DEV_SECRET_KEY = "relife-dev-secret-change-me"  # noqa: S105 - placeholder refused in production by from_env


def _as_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


@dataclass
class Config:
    # None means "SQLite file in the Flask instance folder" (the embedded default).
    database_url: str | None = None
    secret_key: str = DEV_SECRET_KEY
    testing: bool = False
    # Request bodies above this are refused with 413 (diagnostics files are a few hundred kB at most;
    # CSV imports of 100 k rows stay well below it).
    max_content_length: int = 32 * 1024 * 1024
    max_form_parts: int = 200
    token_ttl_days: int = 30
    bench_token_ttl_days: int = 365
    # Login throttling: failed attempts per account, and all attempts per client address.
    login_failures_per_account: int = 5
    login_attempts_per_address: int = 30
    login_window_seconds: int = 15 * 60
    # Failed logins on one account from all addresses together, per hour (members.throttle explains).
    login_failures_per_account_all_addresses: int = 50
    # Per client address and hour: accounts registered; password-reset emails asked (also per address
    # asked for); verification emails asked again (also per account).
    registrations_per_hour: int = 20
    reset_requests_per_hour: int = 10
    reset_requests_per_email_per_hour: int = 3
    verification_requests_per_hour: int = 5
    # None: on, except in test apps (RELIFE_TESTING), which register many users from one address.
    action_limits: bool | None = None
    redis_url: str | None = None
    # Reverse proxies in front that set X-Forwarded-For / X-Forwarded-Proto (nginx: 1). Zero trusts
    # none: the client address is the TCP peer. Behind nginx it must be 1, or every client has
    # nginx's address and shares one login-throttle budget.
    trusted_proxies: int = 0
    # Browser sessions (web.sessions): how long a sign-in lasts, and whether the cookie is Secure
    # (sent over HTTPS only). None: Secure, except in test apps and when PUBLIC_URL is plain http://
    # (``session_cookie_is_secure``); SESSION_COOKIE_SECURE=0/1 decides outright.
    session_ttl_days: int = 14
    session_cookie_secure: bool | None = None
    stripe_api_key: str | None = None
    stripe_api_base: str | None = None
    stripe_webhook_secret: str | None = None
    platform_fee_bps: int = 500  # 5 % application fee on card sales
    cors_origins: tuple[str, ...] = ()
    # Outgoing mail: smtp://host:port (smtps:// for implicit TLS, ?starttls=1 to upgrade; user:password@
    # when the relay asks). None: messages wait in the outbox until a worker with a MAIL_URL runs.
    mail_url: str | None = None
    mail_from: str = "Relife <no-reply@relife.example>"
    #: The site's address, without a trailing slash, e.g. https://relife.example.org: where the links
    #: in emails point and what QR codes (labels, certificates) carry. None: the address the request
    #: came to, and ``DEVELOPMENT_PUBLIC_URL`` for emails (written outside any request's address).
    public_url: str | None = None
    #: Photos (``marketplace.media``): a local folder (None: ``<instance folder>/media``), or an
    #: S3-compatible bucket when ``media_s3_bucket`` is set (credentials: boto3's usual sources).
    media_root: str | None = None
    media_s3_bucket: str | None = None
    media_s3_endpoint_url: str | None = None
    media_s3_region: str | None = None
    media_s3_prefix: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        env = os.environ if environ is None else environ
        config = cls()
        if url := env.get("DATABASE_URL"):
            config.database_url = normalise_database_url(url)
        if key := env.get("SECRET_KEY"):
            config.secret_key = key
        if value := env.get("RELIFE_TESTING"):
            config.testing = _as_bool(value)
        if value := env.get("MAX_CONTENT_LENGTH"):
            config.max_content_length = int(value)
        if value := env.get("REDIS_URL"):
            config.redis_url = value
        if value := env.get("TRUSTED_PROXIES"):
            config.trusted_proxies = int(value)
        if value := env.get("SESSION_COOKIE_SECURE"):
            config.session_cookie_secure = _as_bool(value)
        if value := env.get("SESSION_TTL_DAYS"):
            config.session_ttl_days = int(value)
        config.stripe_api_key = env.get("STRIPE_API_KEY") or None
        config.stripe_api_base = env.get("STRIPE_API_BASE") or None
        config.stripe_webhook_secret = env.get("STRIPE_WEBHOOK_SECRET") or None
        if value := env.get("PLATFORM_FEE_BPS"):
            config.platform_fee_bps = int(value)
        if value := env.get("CORS_ORIGINS"):
            config.cors_origins = tuple(o.strip() for o in value.split(",") if o.strip())
        config.mail_url = env.get("MAIL_URL") or None
        if value := env.get("MAIL_FROM"):
            config.mail_from = value
        if value := env.get("PUBLIC_URL"):
            config.public_url = value.rstrip("/")
        config.media_root = env.get("MEDIA_ROOT") or None
        config.media_s3_bucket = env.get("MEDIA_S3_BUCKET") or None
        config.media_s3_endpoint_url = env.get("MEDIA_S3_ENDPOINT_URL") or None
        config.media_s3_region = env.get("MEDIA_S3_REGION") or env.get("AWS_DEFAULT_REGION") or None
        config.media_s3_prefix = env.get("MEDIA_S3_PREFIX", "")
        return config

    @property
    def session_cookie_is_secure(self) -> bool:
        """The session cookie's Secure flag: on in production (a sign-in over HTTPS never travels
        over plain HTTP again); off for test apps (served over http://) and a site whose PUBLIC_URL
        is http:// (it could not keep anyone signed in otherwise); ``session_cookie_secure`` overrides."""
        if self.session_cookie_secure is not None:
            return self.session_cookie_secure
        return not (self.testing or (self.public_url or "").startswith("http://"))

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)


def normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://``/``postgresql://`` forms and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
