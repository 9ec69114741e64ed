"""The ``gesurvey`` command: one entry point for the questionnaire, web and analysis commands."""

import click

from analysis.cli import analyze
from questionnaires.cli import questionnaires


@click.group()
@click.version_option(package_name="gesurvey")
def cli() -> None:
    """Gender-equality survey collection and analysis (gesurvey)."""


cli.add_command(questionnaires)
cli.add_command(analyze)

from analysis.weighting_cli import weights  # noqa: E402

cli.add_command(weights)
