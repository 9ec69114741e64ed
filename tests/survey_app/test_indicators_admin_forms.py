"""District and province figures come from the approved district and province forms."""

from __future__ import annotations

import uuid

from survey_app.extensions import db

from .indicator_world import build_indicator_world


def add_form(form_id: str, area_code: str, answers: dict, status: str = "approved") -> None:
    from survey_app.core.questionnaire_store import bundled_definitions, publish
    from survey_app.models import Area, QuestionnaireVersion, Submission, User

    version = db.session.query(QuestionnaireVersion).filter_by(questionnaire_id=form_id).first()
    if version is None:
        publish(bundled_definitions()[form_id])
        db.session.flush()
        version = db.session.query(QuestionnaireVersion).filter_by(questionnaire_id=form_id).one()
    area = db.session.query(Area).filter_by(code=area_code).one()
    enumerator = db.session.query(User).filter_by(username="enum178").one()
    db.session.add(
        Submission(
            uuid=str(uuid.uuid4()),
            questionnaire_version_id=version.id,
            area_id=area.id,
            district_id=area.id if area.level == "district" else None,
            enumerator_id=enumerator.id,
            answers=answers,
            status=status,
        )
    )
    db.session.flush()


def test_approved_district_and_province_forms_fill_their_levels(app, runner) -> None:  # noqa: ANN001
    from survey_app.indicators.services import find_area, find_figure

    build_indicator_world(app)
    with app.app_context():
        add_form(
            "district",
            "178",
            # party committee 40 of whom 10 women; 2 of 4 stations have a programme;
            # no media products were circulated (0: no figure, nothing to divide by)
            {
                "district": 178,
                "REF_YEAR": 2025,
                "DIS_P1_1": 40,
                "DIS_P1_2": 10,
                "DIS_M2_1": 4,
                "DIS_M2_2": 2,
                "DIS_M1_1": 0,
                "DIS_M1_2": 0,
            },
        )
        add_form(
            "district",
            "178",
            {"district": 178, "REF_YEAR": 2025, "DIS_P1_1": 5, "DIS_P1_2": 5},
            "submitted",
        )
        add_form(
            "province",
            "20",
            # doctoral trainees 8, 2 women: kept at province level only
            {
                "province": 20,
                "REF_YEAR": 2025,
                "PRO_P1_1": 50,
                "PRO_P1_2": 12,
                "PRO_E2_1": 8,
                "PRO_E2_2": 2,
            },
        )
        db.session.commit()
    result = runner.invoke(["indicators", "admin-forms", "--period", "2025", "--user", "labour"])
    assert result.exit_code == 0, result.output
    assert "4 figures changed" in result.output
    with app.app_context():
        district, top = find_area("178"), find_area("20")
        committee = find_figure("MT1-CT1", district, "2025")
        assert (committee.value, committee.numerator, committee.denominator) == (25.0, 10.0, 40.0)
        assert committee.source_kind == "district" and committee.status == "approved"
        assert committee.source.startswith("district form ")
        assert find_figure("MT5-CT2", district, "2025").value == 50.0
        assert find_figure("MT5-CT1", district, "2025") is None
        province_committee = find_figure("MT1-CT1", top, "2025")
        assert province_committee.value == 24.0 and province_committee.source_kind == "department"
        assert find_figure("MT3-CT2b", top, "2025").value == 25.0
    again = runner.invoke(["indicators", "admin-forms", "--user", "labour"])
    assert "0 figures changed" in again.output
    refused = runner.invoke(["indicators", "admin-forms", "--user", "dept_khdt"])
    assert refused.exit_code == 1


def test_the_catalogue_checks_admin_form_questions() -> None:
    import json

    import pytest

    from questionnaires.errors import QuestionnaireError
    from questionnaires.indicator_catalogue import bundled_catalogue_path, catalogue_from_dict

    document = json.loads(bundled_catalogue_path().read_text(encoding="utf-8"))
    entry = next(i for i in document["indicators"] if i["code"] == "MT3-CT2b")
    entry["admin_forms"]["district"] = {"numerator": "DIS_E9_2", "denominator": "DIS_E2_1"}
    with pytest.raises(QuestionnaireError) as caught:
        catalogue_from_dict(document)
    text = "\n".join(caught.value.messages)
    assert "not kept at that level" in text and "'DIS_E9_2' is not in the district form" in text
