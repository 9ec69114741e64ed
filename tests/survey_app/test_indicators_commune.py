"""Commune figures come from approved commune forms, one per commune, for any commune."""

from __future__ import annotations

import uuid

from survey_app.extensions import db

from .indicator_world import build_indicator_world


def add_commune_form(area_code: str, answers: dict, status: str = "approved") -> None:
    from survey_app.core.questionnaire_store import bundled_definitions, publish
    from survey_app.models import Area, QuestionnaireVersion, Submission, User

    version = db.session.query(QuestionnaireVersion).filter_by(questionnaire_id="commune").first()
    if version is None:
        publish(bundled_definitions()["commune"])
        db.session.flush()
        version = db.session.query(QuestionnaireVersion).filter_by(questionnaire_id="commune").one()
    area = db.session.query(Area).filter_by(code=area_code).one()
    enumerator = db.session.query(User).filter_by(username="enum178").one()
    db.session.add(
        Submission(
            uuid=str(uuid.uuid4()),
            questionnaire_version_id=version.id,
            area_id=area.id,
            district_id=area.parent_id,
            enumerator_id=enumerator.id,
            answers=answers,
            status=status,
        )
    )
    db.session.flush()


def test_approved_commune_forms_fill_commune_figures(app, runner) -> None:
    from survey_app.indicators.services import find_area, find_figure

    build_indicator_world(app)
    with app.app_context():
        add_commune_form(
            "17801", {"commune": 17801, "COM_YEAR": 2019, "COM_P1_1": 20, "COM_P1_2": 6}
        )
        add_commune_form(
            "18001", {"commune": 18001, "COM_YEAR": 2018, "COM_P1_1": 10, "COM_P1_2": 4}
        )
        add_commune_form(
            "18001", {"commune": 18001, "COM_YEAR": 2019, "COM_P1_1": 9, "COM_P1_2": 1}, "submitted"
        )
        db.session.commit()
    result = runner.invoke(["indicators", "communes", "--period", "2019", "--user", "labour"])
    assert result.exit_code == 0, result.output
    assert "1 figures changed" in result.output
    with app.app_context():
        figure = find_figure("MT1-CT1", find_area("17801"), "2019")
        assert (figure.value, figure.numerator, figure.denominator) == (30.0, 6.0, 20.0)
        assert figure.source_kind == "commune_form" and figure.status == "approved"
        assert find_figure("MT1-CT1", find_area("18001"), "2019") is None  # not approved yet
        assert find_figure("MT1-CT1", find_area("18001"), "2018") is None  # another year
    again = runner.invoke(["indicators", "communes", "--user", "labour"])
    assert "1 figures changed" in again.output  # only the 2018 form is new
    refused = runner.invoke(["indicators", "communes", "--user", "dept_khdt"])
    assert refused.exit_code == 1
