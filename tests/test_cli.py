"""The console script: its help, and which commands build the web app.

The analysis and questionnaire commands, and ``--version``, must start without Flask,
SQLAlchemy or Alembic: they are measured here in fresh processes, since this test process has
imported the web app already.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from survey_app.cli import APP_COMMANDS, COMMANDS, cli

WEB_MODULES = ("flask", "sqlalchemy", "alembic")
GESURVEY = Path(sys.executable).parent / "gesurvey"
if not GESURVEY.exists():
    GESURVEY = Path(shutil.which("gesurvey") or GESURVEY)


def imported_modules(*args: str) -> set[str]:
    """Run the console script under ``python -X importtime``; return every module it imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(GESURVEY), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", result.stderr, re.M)
    assert names, "python -X importtime printed nothing"
    return {name.split(".")[0] for name in names}


def test_help_lists_every_registered_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0, result.output
    listed = set(re.findall(r"^  (\S+)", result.output.split("Commands:")[1], re.M))
    assert listed == set(COMMANDS) | set(APP_COMMANDS)


def test_every_registered_command_imports() -> None:
    """A typo in a registration line fails here rather than when someone runs the command."""
    for name in sorted({*COMMANDS, *APP_COMMANDS}):
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0, f"{name}: {result.output}"


def test_importing_the_analysis_commands_loads_no_web_framework() -> None:
    code = (
        "import sys, analysis.cli, questionnaires.cli, survey_app.cli\n"
        f"print(sorted(m for m in {WEB_MODULES!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "args",
    [["--version"], ["analyze", "--help"], ["questionnaires", "validate"], ["simulate", "--help"]],
)
def test_light_commands_never_import_the_web_app(args: list[str]) -> None:
    modules = imported_modules(*args)
    assert modules.isdisjoint(WEB_MODULES), sorted(modules & set(WEB_MODULES))


def test_app_commands_do_build_the_app() -> None:
    """The check above would pass vacuously if importtime missed Flask: it must see it here."""
    assert "flask" in imported_modules("routes")


def test_readme_user_example_names_a_shipped_area() -> None:
    """The README's `gesurvey users create … --area CODE` works right after `gesurvey setup`."""
    from survey_app.admin.services import bundled_areas_file

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    codes = re.findall(r"gesurvey users create [^`]*--area (\S+?)`", readme)
    assert codes, "the README shows no `gesurvey users create … --area` example"
    shipped = {
        line.split(",")[0] for line in bundled_areas_file().read_text(encoding="utf-8").splitlines()
    }
    assert set(codes) <= shipped
