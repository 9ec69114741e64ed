"""Data collected on forms 1.0.0 still tabulate beside 1.1.0 data, and the report says which
indicators changed definition between the versions. Counts are worked out by hand on small data
with equal weights, so every estimate is a plain count ratio."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.report import build_tables
from questionnaires import load_bundled
from questionnaires.loader import earlier_version_paths, load_questionnaire
from questionnaires.plans import bundled_plan_path, load_plan
from questionnaires.versions import plan_comparability

DESIGN = {"weight_final": 1.0, "stratum": 1781}


def _frame(rows: list[dict], start: int = 0) -> pd.DataFrame:
    frame = pd.DataFrame([dict(DESIGN, **row) for row in rows])
    frame["psu"] = [start + i % 10 for i in range(len(frame))]
    return frame


@pytest.fixture(scope="module")
def forms():  # noqa: ANN201
    return load_bundled()


@pytest.fixture(scope="module")
def verdicts(forms) -> dict[tuple[str, str], dict[str, str]]:  # noqa: ANN001
    old = {
        p.stem: load_questionnaire(p) for p in earlier_version_paths() if p.parent.name == "1.0.0"
    }
    plan = load_plan(bundled_plan_path(), forms)
    return {(v.kind, v.id): dict(v.questions) for v in plan_comparability(plan, old, forms)}


def _row(table, block: str, label: str):  # noqa: ANN001, ANN202
    return next(r for r in table.rows if r.block == block and r.label == label)


def test_1_0_0_womens_records_keep_their_ethnicity_rows(tmp_path: Path, forms) -> None:  # noqa: ANN001
    """A 1.0.0 women's record has no ethnicity of its own: it is the respondent's roster line's
    (M05, through the household id and her line); a 1.1.0 record carries resp_ethnicity."""
    consent = {"W00_02": 1, "W00_05": 1, "W00_06": 1, "W00_07": 1, "district": 178}
    old = [  # 1.0.0: 30 Tày women (lines of Tày members), 6 slapped in 12 months
        dict(
            consent,
            hh_id=i,
            resp_line=2,
            resp_sex=2,
            resp_age=30,
            residence=2,
            W03_01=1 if i < 6 else 0,
            W03_01_12M=1 if i < 6 else 0,
            questionnaire_version="1.0.0",
        )
        for i in range(30)
    ]
    new = [  # 1.1.0: 26 Nùng women with their own ethnicity, 13 slapped in 12 months
        dict(
            consent,
            hh_id=100 + i,
            resp_sex=2,
            resp_age=40,
            residence=2,
            resp_ethnicity=7,
            W03_01=1 if i < 13 else 0,
            W03_01_12M=1 if i < 13 else 0,
            questionnaire_version="1.1.0",
        )
        for i in range(26)
    ]
    _frame(old + new).to_csv(tmp_path / "women.csv", index=False)
    members = [
        dict(hh_id=i, line=line, M03=2 if line == 2 else 1, M04=30 + line, M05=2)
        for i in range(30)
        for line in (1, 2)
    ]
    _frame(members).to_csv(tmp_path / "member.csv", index=False)
    built, _ = build_tables(tmp_path, load_plan(bundled_plan_path(), forms), "en", forms)
    table = next(t for t in built if t.id == "W.1b")
    tay, nung = _row(table, "Ethnicity", "Tày"), _row(table, "Ethnicity", "Nùng")
    assert tay.values["n"] == 30 and tay.values["est"] == pytest.approx(20.0)
    assert nung.values["n"] == 26 and nung.values["est"] == pytest.approx(50.0)


def test_the_attitude_index_is_flagged_for_the_a01_split(verdicts) -> None:  # noqa: ANN001
    assert verdicts[("indicator", "A.index")]["A01b"] == "added"
    assert verdicts[("indicator", "A.index")]["A01"] == "changed"
    assert verdicts[("table", "A.1")]["A01b"] == "added"


def test_pmtct_counts_each_mother_once_from_every_womans_births(tmp_path: Path, forms) -> None:  # noqa: ANN001
    """I7.1 (women with a birth in 24 months counselled on PMTCT) reads the household births of
    every woman 15–49, at each mother's most recent birth; B.2 counts every birth."""
    births, members = [], []
    for i in range(30):
        kind = "two births" if i < 10 else "twins" if i < 20 else "one birth"
        members.append(dict(hh_id=i, line=1, M03=1, M04=35, M05=1, D4_01=3))
        members.append(dict(hh_id=i, line=2, M03=2, M04=30, M05=2 if i < 10 else 7, D4_01=3))
        base = dict(hh_id=i, B01=2, B02=1, B05=3, B06=4, district=178, residence=2)
        if kind == "two births":  # an earlier birth without counselling, the latest with it
            births += [dict(base, B04=2024, B03=11, B07=0), dict(base, B04=2025, B03=2, B07=1)]
        elif kind == "twins":  # one most recent birth, not counselled
            births += [dict(base, B04=2025, B03=5, B07=0), dict(base, B04=2025, B03=5, B07=0)]
        else:
            births.append(dict(base, B04=2025, B03=1, B07=1))
    _frame(births).to_csv(tmp_path / "hh_birth.csv", index=False)
    _frame(members).to_csv(tmp_path / "member.csv", index=False)
    built, _ = build_tables(tmp_path, load_plan(bundled_plan_path(), forms), "en", forms)
    tables = {t.id: t for t in built}
    total = next(r for r in tables["D7.1"].rows if r.label == "Total")
    assert total.values["n"] == 30 and total.values["est"] == pytest.approx(100 * 20 / 30)
    assert _row(tables["D7.1"], "Ethnicity", "Tày").values["est"] == pytest.approx(100.0)
    assert _row(tables["D7.1"], "Ethnicity", "Nùng").values["est"] == pytest.approx(50.0)
    every_birth = next(r for r in tables["B.2"].rows if r.label == "Total")
    assert every_birth.values["n"] == 50 and every_birth.values["est"] == pytest.approx(40.0)


def test_births_left_the_individual_form_and_their_indicators_are_flagged(
    forms,
    verdicts,  # noqa: ANN001
) -> None:
    individual = {q.id for q in forms["individual"].iter_questions()}
    assert not individual & {"D7_02", "D7_03_SEX", "D7_04", "D7_05"}
    assert "D7_06" in individual
    old = load_questionnaire(
        next(
            p
            for p in earlier_version_paths()
            if p.parent.name == "1.0.0" and p.stem == "individual"
        )
    )
    assert old.question("D7_04").id == "D7_04"  # 1.0.0 is kept as it was
    for kind, name in (("indicator", "I7.1"), ("table", "D7.1"), ("indicator", "I7.2")):
        assert verdicts[(kind, name)].get("B02") == "added", name
    assert verdicts[("indicator", "I7.1")]["B07"] == "added"


def test_district_and_province_forms_are_tabulated_as_plain_sums(tmp_path: Path, forms) -> None:  # noqa: ANN001
    """Census forms: district counts add up over the districts that reported; no weights."""
    pd.DataFrame(
        [
            {
                "district": 178,
                "DIS_P1_1": 40,
                "DIS_P1_2": 10,
                "DIS_P4": 1,
                "DIS_M2_1": 2,
                "DIS_M2_2": 1,
                "weight_final": 1.0,
            },
            {
                "district": 180,
                "DIS_P1_1": 35,
                "DIS_P1_2": 5,
                "DIS_P4": 0,
                "DIS_M2_1": 1,
                "DIS_M2_2": 0,
                "weight_final": 1.0,
            },
        ]
    ).to_csv(tmp_path / "district.csv", index=False)
    pd.DataFrame(
        [
            {
                "province": 20,
                "PRO_P1_1": 50,
                "PRO_P1_2": 12,
                "PRO_E3_1": 40,
                "PRO_E3_2": 30,
                "weight_final": 1.0,
            }
        ]
    ).to_csv(tmp_path / "province.csv", index=False)
    built, _ = build_tables(tmp_path, load_plan(bundled_plan_path(), forms), "en", forms)
    tables = {t.id: t for t in built}
    committee = tables["D1.4"].rows[0]
    assert (committee.values["count"], committee.values["of"]) == (15, 75)
    assert committee.values["pct"] == pytest.approx(20.0) and committee.values["communes"] == 2
    led = next(r for r in tables["D1.4"].rows if "People's Committees" in r.label)
    assert (led.values["count"], led.values["of"]) == (1, 2)
    assert tables["D1.4"].columns[-1].header == "Districts reporting"
    stations = next(r for r in tables["D6.3"].rows if "stations" in r.label)
    assert stations.values["pct"] == pytest.approx(100 / 3)
    theory = next(r for r in tables["D4.5"].rows if "political theory" in r.label)
    assert theory.values["pct"] == pytest.approx(75.0)
    assert tables["D1.5"].rows[0].values["pct"] == pytest.approx(24.0)
    assert any("census" in note for note in tables["D1.4"].notes)


def test_the_pay_gap_is_split_by_occupation(tmp_path: Path, forms) -> None:  # noqa: ANN001
    """Occupation (ISCO major group, D3_09) is a row block of the earnings table."""
    adult = {"district": 178, "residence": 2, "M04": 30, "M05": 2}
    members = (
        [dict(adult, M03=2, D3_09=2, D3_10=6000) for _ in range(30)]  # women professionals
        + [dict(adult, M03=1, D3_09=2, D3_10=8000) for _ in range(30)]  # men professionals
        + [dict(adult, M03=2, D3_09=9, D3_10=3000) for _ in range(30)]  # elementary
        + [dict(adult, M03=1, D3_09=9, D3_10=3000) for _ in range(30)]
    )
    frame = _frame(members)
    frame["hh_id"] = range(len(frame))
    frame["line"] = 1
    frame.to_csv(tmp_path / "member.csv", index=False)
    built, _ = build_tables(tmp_path, load_plan(bundled_plan_path(), forms), "en", forms)
    earnings = next(t for t in built if t.id == "L.3")
    professionals = _row(earnings, "Occupation (ISCO major group)", "Professionals")
    assert professionals.values["gap"] == pytest.approx(-2000.0)
    elementary = _row(earnings, "Occupation (ISCO major group)", "Elementary occupations")
    assert elementary.values["gap"] == pytest.approx(0.0)
    total = next(r for r in earnings.rows if r.label == "Total")
    assert total.values["gap"] == pytest.approx(-1000.0)


def test_validate_passes_on_every_bundled_form_of_both_versions() -> None:
    from click.testing import CliRunner

    from survey_app.cli import cli

    result = CliRunner().invoke(cli, ["questionnaires", "validate"])
    assert result.exit_code == 0, result.output
    for name in ("commune", "district", "individual", "province", "women"):
        assert f"ok: forms/{name}.json ({name} 1.1.0," in result.output
    assert "ok: forms/household.json (household 1.1.1," in result.output
    assert "ok: forms/versions/1.1.0/household.json (household 1.1.0," in result.output
    for name in ("commune", "household", "individual", "women"):
        assert f"ok: forms/versions/1.0.0/{name}.json ({name} 1.0.0," in result.output


def test_1_0_0_individual_interviews_keep_their_own_births_in_the_export(forms) -> None:  # noqa: ANN001
    """The export's layout for both versions keeps 1.0.0's birth table and D7_04 column."""
    from questionnaires.tidy import TidyLayout, merged_layout

    old = load_questionnaire(
        next(
            p
            for p in earlier_version_paths()
            if p.parent.name == "1.0.0" and p.stem == "individual"
        )
    )
    layout = merged_layout([TidyLayout(forms["individual"]), TidyLayout(old)])
    answers = {
        "district": 178,
        "residence": 1,
        "household_no": 3,
        "D7_02": 1,
        "D7_04": 1,
        "D7_03": [{"D7_03_SEX": 2, "D7_03_YEAR": 2025}],
    }
    rows: dict[str, list[dict]] = {}
    for table, row in layout.rows(answers, psu=5):
        rows.setdefault(table.name, []).append(row)
    assert rows["individual"][0]["D7_04"] == 1
    assert [(b["hh_id"], b["D7_03_SEX"]) for b in rows["birth"]] == [(5003, 2)]
