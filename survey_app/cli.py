"""The ``gesurvey`` command: one entry point for the questionnaire, web and analysis commands."""

import click


@click.group()
@click.version_option(package_name="gesurvey")
def cli() -> None:
    """Gender-equality survey collection and analysis (gesurvey)."""
