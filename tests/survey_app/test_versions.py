"""Questionnaire versions side by side: ``gesurvey publish`` adds 1.1.0 beside 1.0.0, and a
database holding 1.0.0 interviews still exports them (every column they answered) and analyses
them together with 1.1.0 interviews."""

from __future__ import annotations

import json
import uuid as uuid_module

import pandas as pd
import pytest

from survey_app.extensions import db

from .conftest import TEST_PASSWORD


def _areas() -> None:
    from survey_app.models import Area

    province = Area(code="20", name="Lạng Sơn", level="province")
    district = Area(code="178", name="TP Lạng Sơn", level="district", parent=province)
    commune = Area(code="17801", name="Chi Lăng", level="commune", parent=district)
    village = Area(code="17801001", name="Khối 1", level="village", parent=commune)
    db.session.add_all([province, district, commune, village])
    db.session.flush()


def _submit(questionnaire_id: str, version: str, answers: dict) -> None:
    from survey_app.models import Area, QuestionnaireVersion, Submission, User

    village = db.session.query(Area).filter_by(code="17801001").one()
    stored = (
        db.session.query(QuestionnaireVersion)
        .filter_by(questionnaire_id=questionnaire_id, version=version)
        .one()
    )
    db.session.add(
        Submission(
            uuid=str(uuid_module.uuid4()),
            questionnaire_version_id=stored.id,
            area_id=village.id,
            district_id=village.parent.parent.id,
            enumerator_id=db.session.query(User).filter_by(username="enum").one().id,
            answers=answers,
            status="approved",
        )
    )


def _household(number: int, weight: float, members: list[dict]) -> dict:
    return {
        "province": 20,
        "district": 178,
        "commune": 1,
        "village": 1,
        "residence": 1,
        "household_no": number,
        "HH04": 1,
        "HH05": 1,
        "HH06": len(members),
        "roster": members,
        "weight_final": weight,
    }


@pytest.fixture
def old_database(app):  # noqa: ANN001, ANN201
    """A database where only 1.0.0 was published and interviews were collected on it."""
    from survey_app.admin.services import create_user
    from survey_app.core.questionnaire_store import bundled_earlier_definitions, publish

    with app.app_context():
        _areas()
        create_user("analyst", "analyst", TEST_PASSWORD)
        create_user("enum", "enumerator", TEST_PASSWORD)
        for definition in bundled_earlier_definitions():
            if definition["version"] == "1.0.0":
                publish(definition)
        _submit(
            "household",
            "1.0.0",
            _household(1, 100.0, [{"M03": 2, "D7_01": 1}, {"M03": 1, "D7_01": 0}]),
        )
        _submit(
            "commune",
            "1.0.0",
            {"district": 178, "commune": 1, "COM_M4_1": 40, "COM_M4_2": 30, "COM_P1_1": 15},
        )
        db.session.commit()
    return app


def test_publish_adds_1_1_0_beside_1_0_0(old_database, runner) -> None:  # noqa: ANN001
    from survey_app.core.questionnaire_store import current_version
    from survey_app.models import QuestionnaireVersion

    result = runner.invoke(["publish"])
    assert result.exit_code == 0, result.output
    assert "household 1.0.0: unchanged" in result.output
    assert "household 1.1.0: published" in result.output
    assert "household 1.1.1: published" in result.output  # 1.1.0 with its selection rule
    assert "province 1.1.0: published" in result.output
    with old_database.app_context():
        stored = {
            (v.questionnaire_id, v.version) for v in db.session.query(QuestionnaireVersion).all()
        }
        assert {("household", "1.0.0"), ("household", "1.1.0"), ("women", "1.0.0")} <= stored
        assert current_version("household").version == "1.1.1"
        assert current_version("women").version == "1.1.0"
    again = runner.invoke(["publish"])
    assert "published" not in again.output.replace("unchanged", "")


def test_a_fresh_installation_publishes_both_versions_newest_current(app) -> None:  # noqa: ANN001
    from survey_app.core.questionnaire_store import current_version, publish_bundled

    with app.app_context():
        outcomes = {(r.questionnaire_id, r.version): r.outcome for r in publish_bundled()}
        assert outcomes[("individual", "1.0.0")] == outcomes[("individual", "1.1.0")] == "published"
        assert current_version("individual").version == "1.1.0"


def test_1_0_0_interviews_still_export_and_analyse(old_database, runner, tmp_path) -> None:  # noqa: ANN001
    from analysis.cli import analyze
    from survey_app.core.questionnaire_store import publish_bundled
    from survey_app.export import ExportOptions, export_submissions
    from survey_app.models import User

    with old_database.app_context():
        publish_bundled()
        _submit("household", "1.1.0", _household(2, 300.0, [{"M03": 2, "D7_01": 1}]))
        _submit("commune", "1.1.0", {"district": 178, "commune": 2, "COM_P5_1": 25, "COM_P5_2": 7})
        db.session.commit()
        analyst = db.session.query(User).filter_by(username="analyst").one()
        export_submissions(tmp_path, ExportOptions(format="csv"), analyst)
    commune = pd.read_csv(tmp_path / "commune.csv", encoding="utf-8-sig")
    assert list(commune["questionnaire_version"]) == ["1.0.0", "1.1.0"]
    # a column only 1.0.0 asked keeps its answers; one only 1.1.0 asks is empty for 1.0.0
    assert commune["COM_M4_1"].tolist()[0] == 40 and pd.isna(commune["COM_M4_1"].tolist()[1])
    assert pd.isna(commune["COM_P5_1"].tolist()[0]) and commune["COM_P5_1"].tolist()[1] == 25
    member = pd.read_csv(tmp_path / "member.csv", encoding="utf-8-sig")
    assert sorted(member["questionnaire_version"]) == ["1.0.0", "1.0.0", "1.1.0"]
    # weighted share with a valid health-insurance card, by hand: (100·1 + 100·0 + 300·1) / 500
    result = runner._runner.invoke(
        analyze,
        [
            "estimate",
            str(tmp_path / "member.csv"),
            "--weight",
            "weight_final",
            "--var",
            "D7_01",
            "--stat",
            "mean",
            "--form",
            "household",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    estimates = json.loads(result.output)
    rows = estimates if isinstance(estimates, list) else estimates["estimates"]
    assert rows[0]["estimate"] == pytest.approx(0.8)
