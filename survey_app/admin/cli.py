"""``gesurvey assignments``: import and export enumerators' assignments as CSV files."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext


@click.group("assignments")
def assignments_group() -> None:
    """Assignments in bulk (CSV columns: enumerator,questionnaire,area_code,target)."""


@assignments_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def import_command(file: Path) -> None:
    """Create or update the assignments listed in FILE, all or nothing.

    Every row is checked first; when any is wrong nothing is saved and each problem is printed
    with its row and column. Importing the same file again changes nothing.
    """
    from ..extensions import db
    from .bulk import import_assignments
    from .services import AdminError

    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            result = import_assignments(handle, file.name)
        db.session.commit()
    except OSError as error:
        raise click.ClickException(f"{file}: {error.strerror or error}") from None
    except AdminError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Assignments: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged."
    )


@assignments_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def export_command(file: Path) -> None:
    """Write the current assignments to FILE in the format `assignments import` reads."""
    from .bulk import export_assignments

    with file.open("w", encoding="utf-8", newline="") as handle:
        count = export_assignments(handle)
    click.echo(f"Wrote {count} assignments to {file}.")
