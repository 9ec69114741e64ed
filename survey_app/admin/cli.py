"""The web app's administration commands: ``gesurvey setup``, ``publish``, ``users``, ``areas``,
``assignments``, ``rounds``.

Each runs inside the app built by the ``gesurvey`` group (``flask.cli.with_appcontext``).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select

from ..api.services import issue_token
from ..core.questionnaire_store import PublishError, publish, publish_bundled
from ..core.rounds import ensure_default_round
from ..extensions import db
from ..models import Role, User
from ..security.database import create_private_file, sqlite_path
from ..security.sealing import configured_keys, new_key, write_key_file
from ..security.sealing import key_file as data_key_file
from . import rounds as round_services
from .services import AdminError, bundled_areas_file, create_user, load_areas

__all__ = [
    "areas_group",
    "assignments_group",
    "publish_command",
    "rounds_group",
    "setup_command",
    "users_group",
]


def _fail(message: str) -> None:
    raise click.ClickException(message)


@click.command("setup")
@click.option(
    "--admin",
    "admin_name",
    default="admin",
    show_default=True,
    help="User name of the first administrator.",
)
@with_appcontext
def setup_command(admin_name: str) -> None:
    """Make a working installation: migrate, publish questionnaires, load districts, add admin.

    Safe to run again: each step skips what is done. The first admin's password is printed
    once (or taken from GESURVEY_PASSWORD).
    """
    Path(current_app.instance_path).mkdir(parents=True, exist_ok=True)
    key_file = Path(current_app.config["SECRET_KEY_FILE"])
    if not key_file.exists() and not os.environ.get("GESURVEY_SECRET_KEY"):
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        key_file.write_text(key, encoding="utf-8")
        key_file.chmod(0o600)
        current_app.config.update(SECRET_KEY=key, SECRET_KEY_IS_RANDOM=False)
        click.echo(f"Wrote a new session key to {key_file}")
    if not configured_keys()[0]:
        write_key_file(data_key_file(), [new_key()])
        click.echo(
            f"Wrote a new data key to {data_key_file()} (mode 0600): it encrypts the women's "
            "module; back it up apart from the database, without it those answers are lost."
        )
    database = sqlite_path(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if database is not None:
        create_private_file(database)
    upgrade()
    click.echo("Database migrated to the latest schema.")
    try:
        results = load_areas(bundled_areas_file())
        click.echo(f"Areas: {results.created} created, {results.updated} updated.")
        for result in publish_bundled():
            click.echo(
                f"Questionnaire {result.questionnaire_id} {result.version}: {result.outcome}."
            )
        if db.session.scalar(select(User).where(User.role == Role.ADMIN.value)) is None:
            password = os.environ.get("GESURVEY_PASSWORD") or secrets.token_urlsafe(12)
            create_user(admin_name, Role.ADMIN.value, password)
            if os.environ.get("GESURVEY_PASSWORD"):
                click.echo(f"Created administrator {admin_name!r} with GESURVEY_PASSWORD.")
            else:
                click.echo(
                    f"Created administrator {admin_name!r}; password (shown only once): {password}"
                )
        current = ensure_default_round()
        click.echo(
            f"Survey round {current.code} ({current.label_en}): "
            f"{'open' if current.is_open else 'closed'}."
        )
        db.session.commit()
    except (AdminError, PublishError) as error:
        db.session.rollback()
        _fail(str(error))
    click.echo("Ready: run `gesurvey run` and open http://127.0.0.1:5000/")


@click.command("publish")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def publish_command(paths: tuple[Path, ...]) -> None:
    """Publish the bundled questionnaires not in the database yet, or the JSON files PATHS.

    Files come from `gesurvey forms import` (XLSForm) or are written by hand; they are checked
    like the bundled ones.
    """
    try:
        if paths:
            results = []
            for path in paths:
                try:
                    definition = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
                    raise PublishError(f"{path}: {error}") from None
                results.append(publish(definition))
        else:
            results = publish_bundled()
        db.session.commit()
    except PublishError as error:
        db.session.rollback()
        _fail(str(error))
    for result in results:
        click.echo(f"{result.questionnaire_id} {result.version}: {result.outcome}")


@click.group("users")
def users_group() -> None:
    """Manage accounts."""


@users_group.command("create")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "supervisor", "enumerator", "analyst", "viewer"]),
)
@click.option("--area", "area_code", default=None, help="Area code limiting what the user sees.")
@click.option("--full-name", default="", help="Full name shown in lists.")
@click.option("--language", default="vi", type=click.Choice(["vi", "en"]), show_default=True)
@with_appcontext
def create_user_command(
    name: str, role: str, area_code: str | None, full_name: str, language: str
) -> None:
    """Create account NAME; password from GESURVEY_PASSWORD or a prompt."""
    password = os.environ.get("GESURVEY_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    try:
        create_user(
            name, role, password, area_code=area_code, full_name=full_name, language=language
        )
        db.session.commit()
    except AdminError as error:
        db.session.rollback()
        _fail(str(error))
    click.echo(f"Created {role} {name}.")


@users_group.command("token")
@click.argument("name")
@with_appcontext
def token_command(name: str) -> None:
    """Print a new personal API token for NAME (the previous one stops working)."""
    user = db.session.scalar(select(User).where(User.username == name))
    if user is None:
        raise click.ClickException(
            f"no user named {name!r}; create it first with `gesurvey users create`"
        )
    token = issue_token(user)
    db.session.commit()
    click.echo(token)


@click.group("areas")
def areas_group() -> None:
    """Manage the area hierarchy."""


@areas_group.command("load")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def load_areas_command(file: str) -> None:
    """Create or update areas from FILE (CSV: code,name,level,parent_code)."""
    try:
        result = load_areas(file)
        db.session.commit()
    except AdminError as error:
        db.session.rollback()
        _fail(str(error))
    click.echo(f"Areas: {result.created} created, {result.updated} updated.")


@click.group("assignments")
def assignments_group() -> None:
    """Assignments in bulk (CSV columns: enumerator,questionnaire,area_code,target and optionally
    households, the sampled household numbers separated by spaces)."""


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


@click.group("rounds")
def rounds_group() -> None:
    """Survey rounds: list them, create one, open one (new interviews go into it), close it."""


@rounds_group.command("list")
@with_appcontext
def list_rounds_command() -> None:
    """One line per round: code, status, year, kind, field dates, names, party term."""
    for item in round_services.list_rounds():
        dates = f"{item.field_start or ''}..{item.field_end or ''}"
        term = (item.settings or {}).get("party_term", "")
        click.echo(
            f"{item.code}\t{item.status}\t{item.reference_year}\t{item.kind}\t{dates}\t"
            f"{item.label_vi} / {item.label_en}\t{term}"
        )


@rounds_group.command("create")
@click.argument("code")
@click.option("--label-vi", required=True, help="Name in Vietnamese (Giữa kỳ 2018).")
@click.option("--label-en", required=True, help="Name in English (Mid-term 2018).")
@click.option("--year", "reference_year", type=int, required=True, help="Reference year.")
@click.option("--kind", type=click.Choice(round_services.KINDS), required=True)
@click.option("--start", "field_start", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--end", "field_end", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--party-term", default="", help="Party congress term questions quote.")
@click.option("--open", "open_now", is_flag=True, help="Open it now (closing the open round).")
@with_appcontext
def create_round_command(
    code: str,
    label_vi: str,
    label_en: str,
    reference_year: int,
    kind: str,
    field_start,  # noqa: ANN001
    field_end,  # noqa: ANN001
    party_term: str,
    open_now: bool,
) -> None:
    """Create round CODE (closed unless --open)."""
    try:
        item = round_services.create_round(
            code,
            label_vi,
            label_en,
            reference_year,
            kind,
            field_start.date() if field_start else None,
            field_end.date() if field_end else None,
            {"party_term": party_term},
        )
        if open_now:
            round_services.open_round_code(item.code)
        db.session.commit()
    except AdminError as error:
        db.session.rollback()
        _fail(str(error))
    click.echo(f"Survey round {item.code}: {item.status}.")


@rounds_group.command("open")
@click.argument("code")
@with_appcontext
def open_round_command(code: str) -> None:
    """Open round CODE: new interviews go into it; the round that was open is closed."""
    try:
        round_services.open_round_code(code)
        db.session.commit()
    except AdminError as error:
        db.session.rollback()
        _fail(str(error))
    click.echo(f"Survey round {code}: open.")


@rounds_group.command("close")
@click.argument("code")
@with_appcontext
def close_round_command(code: str) -> None:
    """Close round CODE: no new interviews until a round is opened; corrections go on."""
    try:
        round_services.close_round_code(code)
        db.session.commit()
    except AdminError as error:
        db.session.rollback()
        _fail(str(error))
    click.echo(f"Survey round {code}: closed.")
