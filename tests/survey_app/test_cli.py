"""The gesurvey command's users and areas subcommands."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from survey_app.admin.services import bundled_areas_file
from survey_app.extensions import db
from survey_app.models import Area, User


def test_areas_load_bundled_file_creates_province_and_11_districts(app, runner) -> None:
    result = runner.invoke(args=["areas", "load", str(bundled_areas_file())])
    assert result.exit_code == 0, result.output
    assert "12 created" in result.output
    with app.app_context():
        districts = db.session.scalars(
            select(Area.code).where(Area.level == "district").order_by(Area.code)
        ).all()
        assert districts == ["178", *[str(code) for code in range(180, 190)]]
        assert db.session.scalar(select(Area).where(Area.code == "186")).parent.code == "20"


def test_areas_load_twice_changes_nothing(app, runner) -> None:
    runner.invoke(args=["areas", "load", str(bundled_areas_file())])
    result = runner.invoke(args=["areas", "load", str(bundled_areas_file())])
    assert "0 created, 0 updated" in result.output


def test_areas_load_names_file_and_row_of_a_bad_parent(app, runner, tmp_path) -> None:
    bad = tmp_path / "areas.csv"
    bad.write_text(
        "code,name,level,parent_code\n20,Lạng Sơn,province,\n999,X,district,77\n", encoding="utf-8"
    )
    result = runner.invoke(args=["areas", "load", str(bad)])
    assert result.exit_code != 0
    assert "areas.csv, row 3" in result.output
    assert "77" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Area)) == 0


def test_areas_load_missing_column(app, runner, tmp_path) -> None:
    bad = tmp_path / "areas.csv"
    bad.write_text("code,name\n20,Lạng Sơn\n", encoding="utf-8")
    result = runner.invoke(args=["areas", "load", str(bad)])
    assert result.exit_code != 0
    assert "level" in result.output and "Traceback" not in result.output


def test_users_create_with_password_from_environment(app, runner, monkeypatch) -> None:
    runner.invoke(args=["areas", "load", str(bundled_areas_file())])
    monkeypatch.setenv("GESURVEY_PASSWORD", "a long password")
    result = runner.invoke(args=["users", "create", "lan", "--role", "supervisor", "--area", "183"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "lan"))
        assert user.role == "supervisor"
        assert user.area.code == "183"
        assert user.check_password("a long password")


def test_users_create_prompts_for_password(app, runner, monkeypatch) -> None:
    monkeypatch.delenv("GESURVEY_PASSWORD", raising=False)
    result = runner.invoke(
        args=["users", "create", "hoa", "--role", "enumerator"],
        input="secret pass\nsecret pass\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "hoa")).check_password(
            "secret pass"
        )


def test_users_create_unknown_area_is_a_clear_error(app, runner, monkeypatch) -> None:
    monkeypatch.setenv("GESURVEY_PASSWORD", "a long password")
    result = runner.invoke(args=["users", "create", "x", "--role", "enumerator", "--area", "999"])
    assert result.exit_code != 0
    assert "999" in result.output and "Traceback" not in result.output


def test_users_create_duplicate_name(app, runner, monkeypatch) -> None:
    monkeypatch.setenv("GESURVEY_PASSWORD", "a long password")
    runner.invoke(args=["users", "create", "x", "--role", "analyst"])
    result = runner.invoke(args=["users", "create", "x", "--role", "analyst"])
    assert result.exit_code != 0
    assert "x" in result.output


def test_publish_takes_a_questionnaire_made_from_an_xlsform(app, runner, tmp_path) -> None:
    from questionnaires.xlsform import read_xlsform, write_xlsform
    from survey_app.models import QuestionnaireVersion

    source = json.loads(
        (Path(__file__).parents[2] / "questionnaires/forms/commune.json").read_text()
    )
    source = {**source, "id": "commune_odk", "version": "2.0.0"}
    document = read_xlsform(write_xlsform(source, tmp_path / "commune_odk.xlsx"))
    path = tmp_path / "commune_odk.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["publish", str(path)])
    assert result.exit_code == 0, result.output
    assert "commune_odk 2.0.0: published" in result.output
    with app.app_context():
        stored = db.session.scalars(select(QuestionnaireVersion.questionnaire_id)).all()
        assert stored == ["commune_odk"]
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    result = runner.invoke(args=["publish", str(broken)])
    assert result.exit_code != 0
    assert "broken.json" in result.output
