"""Flask commands: database migrations and administration (``flask --app wsgi …``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path

import click
from alembic import command
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.orm import Session

from marketplace import migrate
from marketplace.db import SQLITE_IMMEDIATE
from marketplace.errors import DomainError
from marketplace.notifications import links

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")


def _url() -> str:
    return str(current_app.extensions["relife.engine"].url.render_as_string(hide_password=False))


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(_url(), revision)
    click.echo(f"database at {revision}", err=True)


@db_cli.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (default: one step)."""
    migrate.downgrade(_url(), revision)


@db_cli.command("current")
def db_current() -> None:
    """Show the revision the database is at."""
    command.current(migrate.alembic_config(_url()), verbose=False)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
def db_revision(message: str, autogenerate: bool) -> None:
    """Draft a new migration (review it before committing)."""
    command.revision(migrate.alembic_config(_url()), message=message, autogenerate=autogenerate)


@contextmanager
def command_session(*, write: bool = False) -> Iterator[Session]:
    """A session for one command; the command commits. Tests point it at their session.

    ``write``: take SQLite's write lock at BEGIN, as write requests do (``api.context``), so a
    check-then-write command waits for other writers instead of failing at its first write."""
    state = current_app.extensions["relife.db"]
    if state.override is not None:
        links.attach(state.override, current_app.config["RELIFE"])
        yield state.override
        return
    session: Session = state.factory()
    links.attach(session, current_app.config["RELIFE"])
    if write:
        session.connection(execution_options={SQLITE_IMMEDIATE: True})
    try:
        yield session
    finally:
        session.close()


@click.command("set-staff")
@with_appcontext
@click.argument("email")
@click.option("--revoke", is_flag=True, help="Remove cluster staff rights instead.")
def set_staff_command(email: str, revoke: bool) -> None:
    """Give (or take away) cluster staff rights to a registered user."""
    from marketplace.members import service

    with command_session() as session:
        try:
            service.set_staff(session, email, staff=not revoke)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
        session.commit()
    click.echo(f"{email}: staff={'no' if revoke else 'yes'}")


@click.command("housekeeping")
@with_appcontext
def housekeeping_command() -> None:
    """Mark expired holds, give back devices of card orders left unpaid, report overdue loans,
    delete condition photos never attached to a return or an inspection.

    For a scheduler. Expired holds already stop counting when they expire; this only tidies.
    Idempotent, and safe on two machines at once (conditional UPDATE; each unpaid order is
    re-checked under its device lock, and Stripe is asked before anything is cancelled).
    """
    from marketplace.loans import service as loans
    from marketplace.media import service as media
    from marketplace.media.runtime import current_storage
    from marketplace.orders import service as orders
    from marketplace.payments.runtime import current_gateway
    from marketplace.reservations import service as reservations

    gateway = current_gateway()
    with command_session() as session:
        expired = reservations.expire_stale(session)
        session.commit()
        abandoned = orders.abandon_unpaid(session, gateway) if gateway is not None else 0
        session.commit()
        overdue = loans.overdue_count(session)
        purged = media.purge_unclaimed(session, current_storage())
        session.commit()
    click.echo(f"expired holds marked: {expired}")
    click.echo(f"unpaid card orders cancelled: {abandoned}")
    click.echo(f"overdue loans: {overdue}")
    click.echo(f"unattached condition photos deleted: {purged}")


def enqueue_reminders() -> dict[str, int]:
    """Write the reminders due now (``notifications.reminders``) in one committed transaction."""
    from marketplace.notifications import reminders

    with command_session(write=True) as session:
        written = reminders.enqueue_due(session)
        session.commit()
    return dict(written)


@click.command("notify-due")
@with_appcontext
def notify_due_command() -> None:
    """Write the reminders due now to the outbox: holds ending, invoices due or overdue, loans
    starting, due or overdue.

    For a scheduler (every few minutes); the worker also runs it once a minute. Idempotent and safe
    on several machines at once: each reminder is written once (a unique key per kind, object, due
    moment and recipient, inserted with ON CONFLICT DO NOTHING)."""
    written = enqueue_reminders()
    details = "".join(f", {kind}: {n}" for kind, n in sorted(written.items()))
    click.echo(f"reminders written: {sum(written.values())}{details}")


#: How often the worker's loop writes the reminders due (``notify-due``).
REMINDERS_EVERY_SECONDS = 60.0


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit (for cron or tests).")
@click.option(
    "--poll",
    type=click.FloatRange(min=0.05),
    default=2.0,
    show_default=True,
    help="Seconds to wait when nothing is due.",
)
def worker_command(once: bool, poll: float) -> None:
    """Deliver the outbox's emails over SMTP (MAIL_URL, MAIL_FROM) until stopped.

    Several workers may run on PostgreSQL (rows are claimed with FOR UPDATE SKIP LOCKED); run one on
    SQLite. SIGTERM or Ctrl-C stops it after the message in flight. Running, it also writes the
    reminders due (``notify-due``) once a minute; ``--once`` only delivers."""
    import signal
    import threading
    import time

    from marketplace.notifications import worker

    config = current_app.config["RELIFE"]
    if not config.mail_url:
        raise click.ClickException("MAIL_URL is not set (smtp://host:port): nowhere to deliver the outbox.")
    try:
        settings = worker.MailSettings.from_url(config.mail_url, config.mail_from)
    except worker.MailConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    transport = worker.SmtpTransport(settings)
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    total = worker.DeliveryStats()
    last_reminders = float("-inf")
    try:
        while not stop.is_set():
            if not once and time.monotonic() - last_reminders >= REMINDERS_EVERY_SECONDS:
                enqueue_reminders()
                last_reminders = time.monotonic()
            stats = worker.deliver_due(lambda: command_session(), transport, should_stop=stop.is_set)
            total.sent, total.retried, total.failed = (
                total.sent + stats.sent,
                total.retried + stats.retried,
                total.failed + stats.failed,
            )
            if once:
                break
            if stats.attempted == 0 or stats.retried:
                transport.close()  # do not keep an idle SMTP connection open between polls
                stop.wait(poll)
    except KeyboardInterrupt:
        pass
    finally:
        transport.close()
    click.echo(f"sent: {total.sent}, to retry: {total.retried}, failed: {total.failed}", err=True)


@click.command("seed-demo")
@click.option(
    "--corpus",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    show_default="the reports shipped with the demo module",
    help="Folder of real smartctl and battery reports the demo devices are graded from.",
)
@with_appcontext
def seed_demo_command(corpus: Path | None) -> None:
    """Build the demo cluster through the real API (harmless when already seeded)."""
    from marketplace.demo.seed import DEMO_REPORTS, DemoError, seed_demo

    try:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        summary = seed_demo(app, corpus or DEMO_REPORTS, lambda m: click.echo(m, err=True))
    except DemoError as exc:
        raise click.ClickException(str(exc)) from exc
    if summary is None:
        click.echo("demo data already present: nothing to do")
        return
    click.echo(
        f"demo: {summary.organisations} organisations, {summary.users} users, {summary.devices} devices, "
        f"{summary.reports} diagnostics reports, {summary.listings} listings, {summary.orders} orders, "
        f"{summary.loans} loans; device grades {dict(sorted(summary.grades.items()))}"
    )
    click.echo("log in as staff@relife.example or claire.univ@relife.example, password relife-demo-2026")


def register(app: Flask) -> None:
    from marketplace.reports.commands import regrade_command

    app.cli.add_command(db_cli)
    app.cli.add_command(set_staff_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(regrade_command)
    import_module("marketplace.imports.cli").register(app)
    app.cli.add_command(housekeeping_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(notify_due_command)
