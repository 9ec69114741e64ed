"""The console script exists and answers --help."""

from click.testing import CliRunner

from survey_app.cli import cli


def test_gesurvey_help_lists_itself() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "gesurvey" in result.output.lower() or "Usage" in result.output
