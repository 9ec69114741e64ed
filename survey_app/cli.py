"""The ``gesurvey`` command: one entry point for the questionnaire, web and analysis commands.

It is a Flask command group, so ``gesurvey run`` and ``gesurvey db upgrade`` work with the app
built by ``create_app``; other packages add their groups with ``cli.add_command``.
"""

from __future__ import annotations

import importlib
import os
import secrets
from importlib import resources
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

# Command groups of the other packages, imported only when named: the analysis groups pull in
# scipy and pandas, which would slow every `gesurvey run` and `gesurvey setup` by seconds.
LAZY_COMMANDS = {
    "questionnaires": "questionnaires.cli:questionnaires",
    "forms": "questionnaires.xlsform_cli:forms",
    "analyze": "analysis.cli:analyze",
    "weights": "analysis.weighting_cli:weights",
    "export": "survey_app.export.cli:export_command",
    "results": "survey_app.results.cli:results_group",
    "keys": "survey_app.security.cli:keys_group",
    "assignments": "survey_app.admin.cli:assignments_group",
}


class GesurveyGroup(FlaskGroup):
    """The Flask command group plus the lazily imported groups of ``LAZY_COMMANDS``."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = LAZY_COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = target.split(":")
        return getattr(importlib.import_module(module_name), attribute)


def _create_app() -> Flask:
    from survey_app import create_app

    return create_app()


@click.group(cls=GesurveyGroup, create_app=_create_app, add_version_option=False)
@click.version_option(package_name="gesurvey")
def cli() -> None:
    """Gender-equality survey collection and analysis (gesurvey)."""


def bundled_areas_file() -> Path:
    """The shipped list of Lạng Sơn's province and 11 district-level units (GSO codes)."""
    return Path(str(resources.files("survey_app") / "data" / "areas_langson.csv"))


def _fail(message: str) -> None:
    raise click.ClickException(message)


@cli.command("setup")
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
    from flask_migrate import upgrade
    from sqlalchemy import select

    from .admin.services import AdminError, create_user, load_areas
    from .extensions import db
    from .models import Role, User
    from .questionnaire_store import PublishError, publish_bundled

    Path(current_app.instance_path).mkdir(parents=True, exist_ok=True)
    key_file = Path(current_app.config["SECRET_KEY_FILE"])
    if not key_file.exists() and not os.environ.get("GESURVEY_SECRET_KEY"):
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32), encoding="utf-8")
        key_file.chmod(0o600)
        click.echo(f"Wrote a new session key to {key_file}")
    from .security.database import create_private_file, sqlite_path
    from .security.sealing import configured_keys, new_key, write_key_file
    from .security.sealing import key_file as data_key_file

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
        db.session.commit()
    except (AdminError, PublishError) as error:
        db.session.rollback()
        _fail(str(error))
    click.echo("Ready: run `gesurvey run` and open http://127.0.0.1:5000/")


@cli.command("publish")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def publish_command(paths: tuple[Path, ...]) -> None:
    """Publish the bundled questionnaires not in the database yet, or the JSON files PATHS.

    Files come from `gesurvey forms import` (XLSForm) or are written by hand; they are checked
    like the bundled ones.
    """
    import json

    from .extensions import db
    from .questionnaire_store import PublishError, publish, publish_bundled

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


@cli.group("users")
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
    from .admin.services import AdminError, create_user
    from .extensions import db

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
    from sqlalchemy import select

    from .api.services import issue_token
    from .extensions import db
    from .models import User

    user = db.session.scalar(select(User).where(User.username == name))
    if user is None:
        _fail(f"no user named {name!r}; create it first with `gesurvey users create`")
    token = issue_token(user)
    db.session.commit()
    click.echo(token)


@cli.group("areas")
def areas_group() -> None:
    """Manage the area hierarchy."""


@areas_group.command("load")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def load_areas_command(file: str) -> None:
    """Create or update areas from FILE (CSV: code,name,level,parent_code)."""
    from .admin.services import AdminError, load_areas
    from .extensions import db

    try:
        result = load_areas(file)
        db.session.commit()
    except AdminError as error:
        db.session.rollback()
        _fail(str(error))
    click.echo(f"Areas: {result.created} created, {result.updated} updated.")


from analysis.synthetic.cli import DB_LOADERS, simulate  # noqa: E402


def _load_simulation(simulator):  # noqa: ANN001, ANN202
    """Store a synthetic survey in the app the command group was started with."""
    from flask.cli import ScriptInfo

    from .synthetic_load import load_simulation

    context = click.get_current_context(silent=True)
    info = context.find_object(ScriptInfo) if context is not None else None
    if info is None:
        return load_simulation(simulator)
    with info.load_app().app_context():
        return load_simulation(simulator)


DB_LOADERS.append(_load_simulation)
cli.add_command(simulate)
