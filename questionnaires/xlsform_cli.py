"""Provide ``gesurvey forms import`` and ``gesurvey forms export`` (XLSForm in and out)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from questionnaires.errors import QuestionnaireError
from questionnaires.loader import bundled_paths
from questionnaires.rounds import SETTING_NAMES
from questionnaires.xlsform import read_xlsform, write_xlsform

__all__ = ["forms"]


@click.group(name="forms")
def forms() -> None:
    """Convert questionnaires to and from XLSForm (ODK, KoboToolbox, SurveyCTO)."""


@forms.command("import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the questionnaire JSON (default: <form id>.json beside SOURCE).",
)
@click.option("--id", "form_id", help="Questionnaire id when the settings sheet has no form_id.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
def import_command(source: Path, out: Path | None, form_id: str | None, lang: str) -> None:
    """Turn the XLSForm SOURCE (.xlsx) into a questionnaire JSON file, checked like a form.

    Publish the result with ``gesurvey publish FILE.json``.
    """
    try:
        document = read_xlsform(source, form_id)
    except QuestionnaireError as error:
        raise click.ClickException("\n".join(error.messages_in(lang))) from None
    target = out or source.with_name(f"{document['id']}.json")
    target.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    click.echo(f"Đã ghi {target}" if lang == "vi" else f"Wrote {target}")


@forms.command("export")
@click.argument("form")
@click.option(
    "--xlsform",
    "target",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .xlsx file to write.",
)
@click.option(
    "--round-setting",
    "round_settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="A survey round setting the texts quote, e.g. party_term=2020–2025 (repeatable) / "
    "thiết lập của đợt điều tra.",
)
def export_command(form: str, target: Path, round_settings: tuple[str, ...]) -> None:
    """Write FORM (a bundled questionnaire id or a JSON file) as an XLSForm workbook."""
    settings: dict[str, str] = {}
    for pair in round_settings:
        name, sep, value = pair.partition("=")
        if not sep or name not in SETTING_NAMES:
            known = ", ".join(SETTING_NAMES)
            raise click.ClickException(
                f"--round-setting {pair!r}: write NAME=VALUE with NAME one of {known} "
                f"(viết TÊN=GIÁ TRỊ, TÊN là một trong {known})"
            )
        settings[name] = value
    path = Path(form)
    if not path.suffix:
        matches = [candidate for candidate in bundled_paths() if candidate.stem == form]
        if not matches:
            known = ", ".join(candidate.stem for candidate in bundled_paths())
            raise click.ClickException(
                f"No questionnaire '{form}'; the bundled ones are: {known} "
                f"(Không có phiếu '{form}'; các phiếu có sẵn: {known})"
            )
        path = matches[0]
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise click.ClickException(f"{path}: {error}") from None
    write_xlsform(document, target, settings)
    click.echo(f"Wrote {target} (Đã ghi {target})")
