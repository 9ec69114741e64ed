"""Exports are of one survey round: its interviews only, a round column in every table and
round.json beside them; the report run made here belongs to that round."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from questionnaires.rounds import read_round
from survey_app.extensions import db
from survey_app.models import Status, Submission


def _two_rounds(app, world) -> None:  # noqa: ANN001
    """The world's interviews in the default round; one more, approved, in round 2018."""
    from survey_app.admin.rounds import create_round, open_round_code
    from survey_app.admin.services import create_assignment
    from survey_app.core.questionnaire_store import current_version
    from survey_app.models import User
    from survey_app.submissions import start

    with app.app_context():
        for submission in db.session.scalars(select(Submission)):
            submission.status = Status.APPROVED.value
        create_round(
            "2018", "Giữa kỳ 2018", "Mid-term 2018", 2018, "mid-term", settings={"party_term": "x"}
        )
        open_round_code("2018")
        assignment = create_assignment("enum178", "17801001", "test_household", 5)
        user = db.session.scalar(select(User).where(User.username == "enum178"))
        later = start(user, assignment, current_version("test_household"), None)
        later.status = Status.APPROVED.value
        db.session.add(later)
        db.session.commit()


def test_export_writes_only_the_rounds_interviews_with_its_code(
    app, runner, world, tmp_path
) -> None:  # noqa: ANN001
    _two_rounds(app, world)
    out = tmp_path / "out"
    result = runner.invoke(
        ["export", "--format", "csv", "--out", str(out), "--user", "admin", "--round", "2018"]
    )
    assert result.exit_code == 0, result.output
    assert "1 submissions of round 2018" in result.output
    info = read_round(out)
    assert info is not None and info.code == "2018" and info.kind == "mid-term"
    assert info.settings == {"party_term": "x"}
    for table in sorted(Path(out).glob("*.csv")):
        with table.open(encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
        with table.open(encoding="utf-8-sig") as handle:
            assert next(csv.reader(handle))[0] == "round", table.name
        assert {row["round"] for row in rows} <= {"2018"}
    households = list(
        csv.DictReader((out / "test_household_household.csv").open(encoding="utf-8-sig"))
    )
    assert len(households) == 1 and households[0]["round"] == "2018"
    default = tmp_path / "default"
    runner.invoke(["export", "--format", "csv", "--out", str(default), "--user", "admin"])
    assert read_round(default).code == "2018"  # the open round
    unknown = runner.invoke(
        ["export", "--format", "csv", "--out", str(tmp_path / "x"), "--user", "admin",
         "--round", "1999"]
    )  # fmt: skip
    assert unknown.exit_code != 0 and "1999" in unknown.output


def test_json_export_filters_and_names_the_round(app, client, auth, world) -> None:  # noqa: ANN001
    _two_rounds(app, world)
    auth.login("admin")
    everything = client.get("/admin/export/test_household.json").get_json()["records"]
    only = client.get("/admin/export/test_household.json?round=2018").get_json()["records"]
    assert len(everything) == 4 and [r["round"] for r in only] == ["2018"]
    assert client.get("/admin/export/test_household.json?round=1999").status_code == 404


def test_report_run_belongs_to_the_chosen_round(app, client, auth, world) -> None:  # noqa: ANN001
    from survey_app.results.models import ReportRun

    _two_rounds(app, world)
    seen: dict[str, object] = {}

    def fake_runner(data_dir, plan, target, lang="vi") -> None:  # noqa: ANN001
        seen["round"] = read_round(data_dir)
        Path(target).mkdir(parents=True, exist_ok=True)
        (Path(target) / "report_vi.pdf").write_bytes(b"%PDF-1.4")

    app.config["RESULTS_RUNNER"] = fake_runner
    auth.login("analyst")
    page = client.get("/results/").get_data(as_text=True)
    assert page.index('value="2018"') < page.index('value="' + _default_code(app) + '"')
    response = client.post("/results/run", data={"title": "R", "lang": "vi", "round": "2018"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert seen["round"].code == "2018"
    with app.app_context():
        run = db.session.scalar(select(ReportRun))
        assert run.survey_round.code == "2018"


def _default_code(app) -> str:  # noqa: ANN001
    from survey_app.models import SurveyRound

    with app.app_context():
        return db.session.scalar(select(SurveyRound.code).where(SurveyRound.code != "2018"))
