"""The ``gesurvey`` command: one entry point for the questionnaire, analysis and web-app commands.

The top-level group is deliberately light: it imports nothing but click until a command is named,
and only the web app's commands (``APP_COMMANDS``) get a Flask app, built on first use. So
``gesurvey --version``, ``gesurvey analyze …`` and ``gesurvey questionnaires …`` never import
Flask, SQLAlchemy or Alembic.

To add a command, add one line to one of the two tables: ``"name": "module:attribute"`` where the
attribute is a click command or group. App commands use ``flask.cli.with_appcontext`` (or an
``AppGroup``) and find the app through the ``ScriptInfo`` this group provides.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from survey_app import __version__

# Commands that never build the web app.
COMMANDS: dict[str, str] = {
    "questionnaires": "questionnaires.cli:questionnaires",
    "forms": "questionnaires.xlsform_cli:forms",
    "analyze": "analysis.cli:analyze",
    "weights": "analysis.weighting_cli:weights",
    "simulate": "survey_app.admin.simulate_cli:simulate",
}

# Commands that run with the web app (its configuration, database and extensions).
APP_COMMANDS: dict[str, str] = {
    "run": "flask.cli:run_command",
    "shell": "flask.cli:shell_command",
    "routes": "flask.cli:routes_command",
    "db": "flask_migrate.cli:db",
    "setup": "survey_app.admin.cli:setup_command",
    "publish": "survey_app.admin.cli:publish_command",
    "users": "survey_app.admin.cli:users_group",
    "areas": "survey_app.admin.cli:areas_group",
    "export": "survey_app.export.cli:export_command",
    "results": "survey_app.results.cli:results_group",
    "keys": "survey_app.security.cli:keys_group",
    "indicators": "survey_app.indicators.cli:indicators_group",
    "assignments": "survey_app.admin.cli:assignments_group",
    "rounds": "survey_app.admin.cli:rounds_group",
}


def _create_app() -> Any:
    from survey_app import create_app

    return create_app()


def _provide_app(ctx: click.Context) -> None:
    """Give the context a ScriptInfo that builds the app when a command first asks for it.

    A caller that already supplies one (Flask's test CLI runner) keeps its own.
    """
    from flask.cli import ScriptInfo

    if ctx.find_object(ScriptInfo) is None:
        ctx.obj = ScriptInfo(create_app=_create_app, set_debug_flag=False)


class GesurveyGroup(click.Group):
    """A group whose subcommands are imported only when they are named (see the tables above)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *APP_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name) or APP_COMMANDS.get(cmd_name)
        if target is None:
            return None
        if cmd_name in APP_COMMANDS:
            _provide_app(ctx)
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command


@click.group(cls=GesurveyGroup)
@click.version_option(__version__, prog_name="gesurvey")
def cli() -> None:
    """Gender-equality survey collection and analysis (gesurvey).

    `gesurvey COMMAND --help` describes each command.
    """
