"""``gesurvey questionnaires validate`` and ``show`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from questionnaires import cli as qcli
from questionnaires import load_questionnaire
from survey_app.cli import cli

MINI = Path(__file__).parent / "forms" / "mini.json"


def broken_copy(tmp_path: Path) -> Path:
    doc = json.loads(MINI.read_text(encoding="utf-8"))
    doc["sections"][1]["items"][3]["choices"] = "orgs"
    doc["sections"][0]["items"][1]["label"] = {"vi": "Số thành viên"}
    forms = tmp_path / "forms"
    forms.mkdir(exist_ok=True)
    path = forms / "mini.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_validate_a_good_file() -> None:
    result = CliRunner().invoke(cli, ["questionnaires", "validate", str(MINI)])
    assert result.exit_code == 0, result.output
    assert "ok: forms/mini.json (mini 1.2.0, 19 questions)" in result.output


def test_validate_a_broken_file_exits_1_with_messages(tmp_path: Path) -> None:
    path = broken_copy(tmp_path)
    result = CliRunner().invoke(cli, ["questionnaires", "validate", str(MINI), str(path)])
    assert result.exit_code == 1
    assert "forms/mini.json: question HH02: label: the English (en) text is missing" in (
        result.stderr
    )
    assert "1 of 2 questionnaire(s) have errors" in result.stderr
    assert "Traceback" not in result.output


def test_validate_reports_meaning_errors(tmp_path: Path) -> None:
    path = broken_copy(tmp_path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["sections"][0]["items"][1]["label"]["en"] = "Members"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(cli, ["questionnaires", "validate", str(path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "forms/mini.json: question D1_04: choice list 'orgs' is not defined; add it under "
        "choice_lists (or did you mean 'org'?)"
    )


def test_validate_defaults_to_the_bundled_forms(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(qcli, "bundled_paths", lambda: [MINI])
    monkeypatch.setattr(qcli, "earlier_version_paths", lambda: [])
    result = CliRunner().invoke(cli, ["questionnaires", "validate"])
    assert result.exit_code == 0 and "1 questionnaire(s) valid" in result.output
    monkeypatch.setattr(qcli, "bundled_paths", lambda: [MINI, broken_copy(tmp_path)])
    result = CliRunner().invoke(cli, ["questionnaires", "validate", "--lang", "vi"])
    assert result.exit_code == 1 and "phiếu có lỗi" in result.stderr


def test_validate_every_bundled_form() -> None:
    """The real bundled forms pass (none yet is also fine: the forms land separately)."""
    result = CliRunner().invoke(cli, ["questionnaires", "validate"])
    assert result.exit_code == 0, result.output


def test_show_prints_an_outline_in_english() -> None:
    result = CliRunner().invoke(cli, ["questionnaires", "show", str(MINI), "--lang", "en"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "mini 1.2.0: Test questionnaire (unit: household)"
    assert "Section D: Respondent  [asked if ${HH02} >= 1]" in lines
    assert "  roster  repeat (member): Household roster" in lines
    assert "      M04  integer: Age  (required)" in lines
    assert "        asked if: ${D1_01} = 'yes'" in lines
    assert "        check: . >= 1 and . <= 30  → Members must be 1 to 30" in lines
    assert "        missing codes: 98 don't know, 99 refused" in lines


def test_show_defaults_to_vietnamese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qcli, "load_bundled", lambda: {"mini": load_questionnaire(MINI)})
    result = CliRunner().invoke(cli, ["questionnaires", "show", "mini"])
    assert result.exit_code == 0, result.output
    assert "Phần H: Thông tin hộ" in result.output
    assert "hỏi khi: ${D1_01} = 'yes'" in result.output


def test_show_unknown_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qcli, "load_bundled", lambda: {"mini": load_questionnaire(MINI)})
    result = CliRunner().invoke(cli, ["questionnaires", "show", "kap", "--lang", "en"])
    assert result.exit_code == 1
    assert "No questionnaire 'kap'; the bundled ones are: mini" in result.stderr


def test_show_a_broken_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["questionnaires", "show", str(broken_copy(tmp_path))])
    assert result.exit_code == 1 and "forms/mini.json: câu hỏi HH02: label:" in result.stderr


def test_validate_in_vietnamese(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["questionnaires", "validate", "--lang", "vi", str(broken_copy(tmp_path))]
    )
    assert result.exit_code == 1
    assert "forms/mini.json: câu hỏi HH02: label: thiếu nội dung tiếng Anh (en)" in result.stderr
