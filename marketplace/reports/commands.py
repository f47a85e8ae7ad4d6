"""``flask --app wsgi regrade``: re-grade every stored diagnostics file with the current policy."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

import diagnostics
from marketplace.cli import command_session
from marketplace.db import SQLITE_IMMEDIATE
from marketplace.reports import service


@click.command("regrade")
@click.option("--device", "device_id", type=int, default=None, help="Only this device (id).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@with_appcontext
def regrade_command(device_id: int | None, quiet: bool) -> None:
    """Re-parse and re-grade every stored raw report with the current grading policy.

    Reports whose grades or findings change keep their previous assessment in their history; a
    device whose grade or health changes gets a `regraded` passport event. One transaction per
    device; running it again changes nothing (safe to schedule, and to run on two machines).
    Prints a summary on stdout; progress goes to stderr.
    """
    own_transactions = current_app.extensions["relife.db"].override is None
    outcome = service.RegradeOutcome()
    with command_session() as session:
        device_ids = service.device_ids_to_regrade(session, device_id)
        if device_id is not None and not device_ids:
            raise click.ClickException(f"Device {device_id} has no diagnostics report.")
        session.commit()
        with click.progressbar(
            device_ids, label="re-grading devices", file=sys.stderr, hidden=quiet or not device_ids
        ) as bar:
            for one in bar:
                if own_transactions:
                    # SQLite: take the write lock up front so the read-then-write cannot interleave.
                    session.connection(execution_options={SQLITE_IMMEDIATE: True})
                service.regrade_device(session, one, outcome)
                session.commit()
    for problem in outcome.unreadable:
        click.echo(f"unreadable with the current policy: {problem}", err=True)
    click.echo(
        f"policy {diagnostics.POLICY_VERSION}: {outcome.reports} reports, {outcome.changed} changed, "
        f"{outcome.unchanged} unchanged; {outcome.devices_changed} devices regraded"
    )
