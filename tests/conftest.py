"""Shared fixtures: one migrated database per run; each test in a transaction rolled back at
the end (the app's requests commit only savepoints inside it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from marketplace import create_app, migrate
from marketplace.config import Config
from marketplace.db import make_engine
from marketplace.members import passwords
from tests.dbutil import fresh_database


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2id with its production cost makes each registration ~50 ms; the tests register
    hundreds of users. Hashes carry their own parameters, so verification is unchanged."""
    original = passwords.HASHER
    passwords.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords.HASHER = original


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("db"), "tests") as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield session
    session.close()
    transaction.rollback()
    connection.close()


@pytest.fixture
def config(database_url: str, tmp_path: Path) -> Config:
    # Photos go to the test's own folder, never to the app's instance folder in the repository.
    return Config(database_url=database_url, testing=True, secret_key="test-secret", media_root=str(tmp_path / "media"))


@pytest.fixture
def app(config: Config, db_session: Session) -> Iterator[Flask]:
    app = create_app(config)
    app.extensions["relife.db"].override = db_session
    yield app
    app.extensions["relife.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
