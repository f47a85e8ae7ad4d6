"""``flask --app wsgi import-devices FILE --organisation ID --format native|glpi|snipeit``.

Progress bars on stderr, the summary (or ``--json`` report) on stdout; exit status 1 when any row
was refused, so a script notices. Without ``--as`` the command acts as the shell operator (like
``set-staff``: whoever runs flask commands owns the database); with ``--as EMAIL`` it acts as that
user, with their roles checked and their name in the passport events.
"""

from __future__ import annotations

import json
import sys
from typing import IO, Any

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from marketplace.api.fields import MAX_ID
from marketplace.cli import command_session
from marketplace.errors import DomainError
from marketplace.imports import service
from marketplace.imports.formats import ImportFormat, neutralise
from marketplace.members.access import SCOPE_API, Principal
from marketplace.members.models import TokenKind, User
from marketplace.members.service import normalise_email, principal_for_user

#: Token id of a principal acting from the shell: no token was used, none is recorded.
SHELL_TOKEN_ID = 0


def principal_for_email(session: Session, email: str) -> Principal:
    user = session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_active:
        raise click.ClickException(f"No active user with email {email}.")
    return principal_for_user(session, user, token_id=SHELL_TOKEN_ID, token_kind=TokenKind.PERSONAL, scopes=[SCOPE_API])


class _Bars:
    """One click progress bar per stage, on stderr; nothing when quiet."""

    def __init__(self, quiet: bool, estimated_rows: int) -> None:
        self.quiet = quiet
        self.estimated_rows = estimated_rows
        self.bars: dict[str, Any] = {}

    def __call__(self, stage: str, advance: int, total: int | None) -> None:
        if self.quiet:
            return
        bar = self.bars.get(stage)
        if bar is None:
            for other in self.bars.values():
                other.render_finish()
            label = "Checking rows" if stage == "check" else "Writing devices"
            length = total or self.estimated_rows
            stream = sys.stderr
            bar = click.progressbar(length=length, label=label, file=stream)
            bar.__enter__()
            self.bars[stage] = bar
        bar.update(advance)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.render_finish()


@click.command("import-devices")
@click.argument("file", type=click.File("rb"))
@click.option(
    "--organisation",
    "organisation_id",
    type=click.IntRange(1, MAX_ID),
    required=True,
    help="Id of the target organisation.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in ImportFormat]),
    default=ImportFormat.NATIVE.value,
    show_default=True,
    help="native CSV, GLPI Computers export or Snipe-IT assets export.",
)
@click.option("--dry-run", is_flag=True, help="Check and report every row; write nothing.")
@click.option("--as", "as_email", metavar="EMAIL", help="Act as this user (their roles are checked).")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON on stdout.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@with_appcontext
def import_devices_command(
    file: IO[bytes], organisation_id: int, fmt: str, dry_run: bool, as_email: str | None, as_json: bool, quiet: bool
) -> None:
    """Import devices from a CSV FILE into an organisation (upsert on serial, then asset tag)."""
    data = file.read()
    bars = _Bars(quiet, max(1, data.count(b"\n")))
    with command_session(write=not dry_run) as session:
        try:
            actor = principal_for_email(session, as_email) if as_email else None
            kwargs: dict[str, Any] = {
                "organisation_id": organisation_id,
                "data": data,
                "fmt": ImportFormat(fmt),
                "dry_run": dry_run,
                "progress": bars,
            }
            if actor is not None:
                report = service.import_devices(session, actor, **kwargs)
            else:
                report = service.run_import(session, None, **kwargs)
        except DomainError as exc:
            session.rollback()
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items() if k != "file")
            raise click.ClickException(exc.detail + (f" ({details})" if details else "")) from exc
        finally:
            bars.close()
        if dry_run:
            session.rollback()
        else:
            session.commit()
    summary = service.report_as_dict(report)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    else:
        mode = "dry run: " if dry_run else ""
        click.echo(
            f"{mode}{report.rows} rows: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.failed} failed"
        )
        for error in report.errors:
            click.echo(f"row {error.row}: {neutralise(error.field)}: {error.message}")
        if report.errors_truncated:
            click.echo(f"(first {len(report.errors)} errors shown)")
    if report.failed:
        raise SystemExit(1)


def register(app: Flask) -> None:
    app.cli.add_command(import_devices_command)
