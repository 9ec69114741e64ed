"""The ``gesurvey`` command: one entry point for the questionnaire, web and analysis commands."""

import click

from questionnaires.cli import questionnaires


@click.group()
@click.version_option(package_name="gesurvey")
def cli() -> None:
    """Gender-equality survey collection and analysis (gesurvey)."""


cli.add_command(questionnaires)

from analysis.cli import analyze  # noqa: E402  (registered after the group is defined)

cli.add_command(analyze)

from analysis.synthetic.cli import simulate  # noqa: E402

cli.add_command(simulate)
