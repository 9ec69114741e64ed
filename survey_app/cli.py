"""The ``gesurvey`` command: one entry point for the questionnaire, web and analysis commands."""

import click


@click.group()
@click.version_option(package_name="gesurvey")
def cli() -> None:
    """Gender-equality survey collection and analysis (gesurvey)."""


from analysis.cli import analyze  # noqa: E402  (registered after the group is defined)

cli.add_command(analyze)

from analysis.weighting_cli import weights  # noqa: E402

cli.add_command(weights)
