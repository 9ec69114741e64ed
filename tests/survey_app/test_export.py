"""Microdata exports from the database: labels readable by pandas/pyreadstat, role rules,
approved-only default, and the ``gesurvey export`` command."""

from __future__ import annotations

import uuid as uuid_module

import pandas as pd
import pyreadstat
import pytest

from survey_app.extensions import db

from .conftest import TEST_PASSWORD

HOUSEHOLD = {
    "province": 20,
    "district": 178,
    "commune": 1,
    "village": 1,
    "residence": 1,
    "household_no": 4,
    "HH01": "Hoàng Thị Lan",
    "HH04": 1,
    "HH05": 1,
    "HH06": 2,
    "roster": [
        {"M01": "Lan", "M03": 2, "M04": 41, "M05": 1, "D5_05": [1, 3]},
        {"M01": "Minh", "M03": 1, "M04": 44, "M05": 1, "D5_05": [98]},
    ],
    "HH18": {"tv": 1, "motorbike": 1},
    "weight_final": 150.25,
}
WOMEN = {"district": 178, "residence": 1, "household_no": 4, "W00_02": 1, "W01_01": 1}


def make_submission(questionnaire_id: str, answers: dict, status: str) -> str:
    from survey_app.core.questionnaire_store import current_version
    from survey_app.models import Area, Submission, User

    village = db.session.query(Area).filter_by(code="17801001").one()
    enumerator = db.session.query(User).filter_by(username="enum").one()
    submission = Submission(
        uuid=str(uuid_module.uuid4()),
        questionnaire_version_id=current_version(questionnaire_id).id,
        area_id=village.id,
        district_id=village.parent.parent.id,
        enumerator_id=enumerator.id,
        answers=answers,
        status=status,
    )
    db.session.add(submission)
    db.session.flush()
    return submission.uuid


@pytest.fixture
def survey(app):  # noqa: ANN001, ANN201
    """Bundled forms published; users of each role; households approved and not."""
    from survey_app.admin.services import create_user
    from survey_app.core.questionnaire_store import publish_bundled
    from survey_app.models import Area

    with app.app_context():
        province = Area(code="20", name="Lạng Sơn", level="province")
        district = Area(code="178", name="TP Lạng Sơn", level="district", parent=province)
        commune = Area(code="17801", name="Chi Lăng", level="commune", parent=district)
        village = Area(code="17801001", name="Khối 1", level="village", parent=commune)
        db.session.add_all([province, district, commune, village])
        db.session.flush()
        for name, role in [
            ("admin", "admin"),
            ("analyst", "analyst"),
            ("sup", "supervisor"),
            ("enum", "enumerator"),
            ("viewer", "viewer"),
        ]:
            create_user(name, role, TEST_PASSWORD)
        publish_bundled()
        approved = make_submission("household", HOUSEHOLD, "approved")
        make_submission("household", {**HOUSEHOLD, "household_no": 5}, "submitted")
        make_submission("women", WOMEN, "approved")
        db.session.commit()
        yield {"approved": approved}


def run_export(app, fmt: str, out, username: str = "analyst", **kwargs):  # noqa: ANN001, ANN201
    from survey_app.export import ExportOptions, export_submissions
    from survey_app.models import User

    with app.app_context():
        user = db.session.query(User).filter_by(username=username).one()
        return export_submissions(out, ExportOptions(format=fmt, **kwargs), user)


def test_approved_only_by_default(app, survey, tmp_path) -> None:  # noqa: ANN001
    result = run_export(app, "csv", tmp_path)
    household = pd.read_csv(tmp_path / "household.csv", encoding="utf-8-sig")
    assert list(household["submission_uuid"]) == [survey["approved"]]
    member = pd.read_csv(tmp_path / "member.csv", encoding="utf-8-sig")
    assert list(member["line"]) == [1, 2]
    assert list(member["D5_05"].astype(str)) == ["1 3", "98"]
    assert result.rows["household"] == 1 and result.rows["member"] == 2
    assert household.loc[0, "hh_id"] == 17801001 * 1000 + 4
    assert household.loc[0, "stratum"] == 1781
    assert household.loc[0, "weight_final"] == 150.25


def test_status_option_adds_other_statuses(app, survey, tmp_path) -> None:  # noqa: ANN001
    run_export(app, "csv", tmp_path, statuses=("approved", "submitted"))
    household = pd.read_csv(tmp_path / "household.csv", encoding="utf-8-sig")
    assert sorted(household["household_no"]) == [4, 5]


def test_identifying_and_women_left_out_by_default(app, survey, tmp_path) -> None:  # noqa: ANN001
    result = run_export(app, "csv", tmp_path)
    household = pd.read_csv(tmp_path / "household.csv", encoding="utf-8-sig")
    member = pd.read_csv(tmp_path / "member.csv", encoding="utf-8-sig")
    assert "HH01" not in household.columns and "M01" not in member.columns
    assert not (tmp_path / "women.csv").exists()
    assert "women" in result.left_out
    text = "".join(p.read_text(encoding="utf-8-sig") for p in tmp_path.glob("*.csv"))
    assert "Hoàng Thị Lan" not in text


def test_admin_who_asks_gets_identifying_fields(app, survey, tmp_path) -> None:  # noqa: ANN001
    run_export(app, "csv", tmp_path, username="admin", include_identifying=True)
    household = pd.read_csv(tmp_path / "household.csv", encoding="utf-8-sig")
    assert household.loc[0, "HH01"] == "Hoàng Thị Lan"


def test_analyst_who_asks_gets_the_women_module(app, survey, tmp_path) -> None:  # noqa: ANN001
    run_export(app, "csv", tmp_path, include_women=True)
    women = pd.read_csv(tmp_path / "women.csv", encoding="utf-8-sig")
    assert list(women["W01_01"]) == [1]


@pytest.mark.parametrize(
    ("username", "kwargs", "allowed"),
    [
        ("admin", {}, True),
        ("analyst", {}, True),
        ("sup", {}, False),
        ("enum", {}, False),
        ("viewer", {}, False),
        ("analyst", {"include_identifying": True}, False),
        ("admin", {"include_identifying": True}, True),
        ("analyst", {"include_women": True}, True),
        ("admin", {"include_women": True}, True),
    ],
)
def test_roles_that_may_export(app, survey, tmp_path, username, kwargs, allowed) -> None:  # noqa: ANN001
    from survey_app.export import ExportError

    if allowed:
        run_export(app, "csv", tmp_path, username=username, **kwargs)
        assert (tmp_path / "household.csv").exists()
    else:
        with pytest.raises(ExportError) as caught:
            run_export(app, "csv", tmp_path, username=username, **kwargs)
        assert username in caught.value.message and username in caught.value.message_vi
        assert not (tmp_path / "household.csv").exists()


def test_stata_file_carries_variable_and_value_labels(app, survey, tmp_path) -> None:  # noqa: ANN001
    run_export(app, "dta", tmp_path, lang="en")
    frame, meta = pyreadstat.read_dta(str(tmp_path / "member.dta"))
    labels = meta.column_names_to_labels
    assert labels["M03"] == "Sex"
    assert meta.variable_value_labels["M03"][2] == "Female"
    assert list(frame["D5_05_1"]) == [1, 98]
    assert meta.variable_value_labels["D5_05_1"][98] == "don't know"
    reader = pd.io.stata.StataReader(str(tmp_path / "member.dta"))
    with reader:
        assert reader.variable_labels()["M03"] == "Sex"
        assert "Female" in reader.value_labels()[meta.variable_to_label["M03"]].values()


def test_spss_file_carries_labels_and_user_missing(app, survey, tmp_path) -> None:  # noqa: ANN001
    run_export(app, "sav", tmp_path, lang="vi")
    frame, meta = pyreadstat.read_sav(str(tmp_path / "member.sav"), user_missing=True)
    assert meta.column_names_to_labels["M03"] == "Giới tính"
    assert meta.variable_value_labels["M03"][2] == "Nữ"
    assert meta.missing_ranges["D5_05_1"] == [{"lo": 98.0, "hi": 98.0}]
    plain = pd.read_spss(str(tmp_path / "member.sav"), convert_categoricals=True)
    assert list(plain["M03"]) == ["Nữ", "Nam"]


def test_parquet_and_excel_hold_the_same_rows(app, survey, tmp_path) -> None:  # noqa: ANN001
    run_export(app, "parquet", tmp_path / "pq")
    run_export(app, "xlsx", tmp_path / "x")
    parquet = pd.read_parquet(tmp_path / "pq" / "member.parquet")
    excel = pd.read_excel(tmp_path / "x" / "member.xlsx", sheet_name="member")
    assert list(parquet["M04"]) == list(excel["M04"]) == [41, 44]
    assert list(parquet["D5_05"]) == list(excel["D5_05"].astype(str)) == ["1 3", "98"]
    labels = pd.read_excel(tmp_path / "x" / "member.xlsx", sheet_name="nhan")
    assert "Giới tính" in set(labels.iloc[:, 2])


def test_export_is_written_to_the_audit_log(app, survey, tmp_path) -> None:  # noqa: ANN001
    from survey_app.models import AuditLog

    run_export(app, "csv", tmp_path)
    with app.app_context():
        entry = db.session.query(AuditLog).filter_by(action="export.microdata").one()
        assert entry.user.username == "analyst"
        assert entry.new["rows"]["household"] == 1


def test_cli_exports_with_a_progress_bar(app, survey, runner, tmp_path) -> None:  # noqa: ANN001
    result = runner.invoke(
        ["export", "--format", "parquet", "--out", str(tmp_path), "--user", "analyst"]
    )
    assert result.exit_code == 0, result.output
    assert "household.parquet: 1 rows" in result.output
    assert len(pd.read_parquet(tmp_path / "member.parquet")) == 2


def test_cli_refuses_identifying_fields_to_an_analyst(app, survey, runner, tmp_path) -> None:  # noqa: ANN001
    result = runner.invoke(
        [
            "export",
            "--format",
            "csv",
            "--out",
            str(tmp_path),
            "--user",
            "analyst",
            "--include-identifying",
        ]
    )
    assert result.exit_code != 0
    assert "may not export identifying fields" in result.output
    assert "Traceback" not in result.output


def test_cli_status_all_and_unknown_user(app, survey, runner, tmp_path) -> None:  # noqa: ANN001
    result = runner.invoke(
        [
            "export",
            "--format",
            "csv",
            "--out",
            str(tmp_path),
            "--user",
            "admin",
            "--status",
            "all",
            "--questionnaire",
            "household",
        ]
    )
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(tmp_path / "household.csv", encoding="utf-8-sig")) == 2
    result = runner.invoke(
        ["export", "--format", "csv", "--out", str(tmp_path), "--user", "nobody"]
    )
    assert result.exit_code != 0 and "no user 'nobody'" in result.output


def test_stata_rows_match_the_csv_rows(app, survey, tmp_path) -> None:  # noqa: ANN001
    run_export(app, "dta", tmp_path / "dta", statuses=("approved", "submitted"))
    run_export(app, "csv", tmp_path / "csv", statuses=("approved", "submitted"))
    stata = pd.read_stata(tmp_path / "dta" / "member.dta", convert_categoricals=False)
    text = pd.read_csv(tmp_path / "csv" / "member.csv", encoding="utf-8-sig")
    assert list(stata["submission_uuid"]) == list(text["submission_uuid"])
    assert list(stata["hh_id"]) == list(text["hh_id"])
    assert list(stata["weight_final"]) == list(text["weight_final"])
    assert list(stata["M04"]) == list(text["M04"])
    assert stata["M06"].isna().all() and text["M06"].isna().all()


def test_spss_rows_match_the_csv_rows(app, survey, tmp_path) -> None:  # noqa: ANN001
    run_export(app, "sav", tmp_path / "sav", statuses=("approved", "submitted"))
    run_export(app, "csv", tmp_path / "csv", statuses=("approved", "submitted"))
    spss, _meta = pyreadstat.read_sav(str(tmp_path / "sav" / "household.sav"))
    text = pd.read_csv(tmp_path / "csv" / "household.csv", encoding="utf-8-sig")
    assert list(spss["submission_uuid"]) == list(text["submission_uuid"])
    assert list(spss["hh_id"]) == list(text["hh_id"])
    assert list(spss["weight_final"]) == list(text["weight_final"])
    assert list(spss["questionnaire_version"]) == list(text["questionnaire_version"])


def test_answers_stored_on_several_lines_export_the_same(app, survey, tmp_path) -> None:  # noqa: ANN001
    import json

    from sqlalchemy import text

    run_export(app, "csv", tmp_path / "one_line", statuses=("approved", "submitted"))
    with app.app_context():
        db.session.execute(
            text("UPDATE submission SET answers = :answers WHERE uuid = :uuid"),
            {"answers": json.dumps(HOUSEHOLD, indent=1), "uuid": survey["approved"]},
        )
        db.session.commit()
    run_export(app, "csv", tmp_path / "lines", statuses=("approved", "submitted"))
    for name in ("household.csv", "member.csv"):
        assert (tmp_path / "lines" / name).read_bytes() == (
            tmp_path / "one_line" / name
        ).read_bytes()
