"""gesurvey simulate --into-db: the synthetic survey as approved submissions the app shows."""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import func, select

from analysis.synthetic.run import Simulator
from survey_app.admin.services import create_user
from survey_app.admin.synthetic import load_simulation
from survey_app.extensions import db
from survey_app.models import QuestionnaireVersion, Status, Submission

from .conftest import TEST_PASSWORD


def test_simulated_survey_is_stored_as_approved_submissions(app, client, auth) -> None:  # noqa: ANN001
    simulator = Simulator(60, 3)
    expected = Counter(form_id for form_id, _, _ in simulator.iter_answer_dicts())
    with app.app_context():
        stored = load_simulation(simulator)
        assert stored == sum(expected.values())
        rows = db.session.execute(
            select(QuestionnaireVersion.questionnaire_id, Submission.status, func.count())
            .join(Submission.questionnaire_version)
            .group_by(QuestionnaireVersion.questionnaire_id, Submission.status)
        ).all()
        assert {(form, status): n for form, status, n in rows} == {
            (form, Status.APPROVED.value): n for form, n in expected.items()
        }
        # every submission belongs to a district, except the province's own form
        without_district = db.session.scalars(
            select(QuestionnaireVersion.questionnaire_id)
            .join(Submission.questionnaire_version)
            .where(Submission.district_id.is_(None))
        ).all()
        assert without_district == ["province"]
        assert load_simulation(simulator) == 0  # same seed: nothing added twice
        # the district and province forms feed the gender database at their levels
        from survey_app.indicators.admin_forms import load_admin_forms
        from survey_app.indicators.models import IndicatorValue

        assert load_admin_forms(None) > 0
        areas = set(
            db.session.scalars(
                select(IndicatorValue.area_id).where(IndicatorValue.indicator_code == "MT1-CT1")
            )
        )
        assert len(areas) == 12  # 11 districts and the province
        create_user("admin", "admin", TEST_PASSWORD)
        db.session.commit()
    auth.login("admin")
    page = client.get("/review/?status=approved")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("/review/") >= 10


def test_cli_into_db_fills_the_database(app, runner) -> None:  # noqa: ANN001
    result = runner.invoke(["simulate", "--households", "20", "--seed", "4", "--into-db"])
    assert result.exit_code == 0, result.output
    assert "approved submissions stored" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) > 20


def test_quality_page_flags_exactly_the_simulated_fabricating_teams(app, client, auth) -> None:  # noqa: ANN001
    from analysis.synthetic.paradata import FABRICATORS

    simulator = Simulator(800, 1)
    with app.app_context():
        load_simulation(simulator)
        create_user("admin", "admin", TEST_PASSWORD)
        # the current version (1.0.0 is published beside it; the simulation uses the newest)
        individual = db.session.scalar(
            select(QuestionnaireVersion.id)
            .where(QuestionnaireVersion.questionnaire_id == "individual")
            .order_by(QuestionnaireVersion.id.desc())
            .limit(1)
        )
        db.session.commit()
    # Interviewer ids are (district - 177) * 10 + team; accounts are sim.enum.<district>.<team>.
    expected = {f"sim.enum.{177 + i // 10}.{i % 10}" for i in FABRICATORS}
    auth.login("admin")
    page = client.get("/review/quality", query_string={"version": individual})
    assert page.status_code == 200
    rows = re.findall(
        r'data-enumerator="([^"]+)" data-flagged="([^"]*)"', page.get_data(as_text=True)
    )
    assert len(rows) > 20
    assert {name for name, flags in rows if flags} == expected
