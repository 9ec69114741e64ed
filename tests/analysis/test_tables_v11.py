"""The tables added with forms 1.1.0, checked against shares worked out by hand on a small data
folder with equal weights (so every estimate is a plain count ratio): partner violence with the
suppression rule, unemployment and the pay gap, child marriage, land certificates, antenatal
care and PMTCT from every woman's births, the module-W quality flag, and the age groups."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.report import build_tables
from analysis.tables import SUPPRESSED
from questionnaires import load_bundled
from questionnaires.plans import bundled_plan_path, load_plan

DESIGN = {"weight_final": 1.0, "stratum": 1, "psu": 0}


def _rows(n: int, **columns: object) -> list[dict]:
    return [dict(DESIGN, **columns) for _ in range(n)]


def _with_psu(rows: list[dict], start: int = 0) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame["psu"] = [start + i % 10 for i in range(len(frame))]  # ten clusters
    frame["hh_id"] = range(start * 1000, start * 1000 + len(frame))
    return frame


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder: Path = tmp_path_factory.mktemp("hand")
    partnered = {"resp_sex": 2, "resp_age": 30, "resp_ethnicity": 2, "residence": 2}
    consent = {"W00_02": 1, "W00_05": 1, "W00_06": 1, "W00_07": 1, "W09_08": 1}
    women = (
        # district 178: 30 partnered women, 9 slapped in the last 12 months (one of them by a
        # male interviewer), 3 more slapped earlier only
        _rows(9, district=178, **partnered, **consent, W03_01=1, W03_01_12M=1, interviewer_sex=2)
        + _rows(3, district=178, **partnered, **consent, W03_01=1, W03_01_12M=0, interviewer_sex=2)
        + _rows(18, district=178, **partnered, **consent, W03_01=0, interviewer_sex=2)
        # district 180: 20 women (fewer than 25: suppressed), 4 slapped in 12 months
        + _rows(4, district=180, **partnered, **consent, W03_01=1, W03_01_12M=1, interviewer_sex=1)
        + _rows(16, district=180, **partnered, **consent, W03_01=0, interviewer_sex=2)
        # never partnered: outside the denominator
        + _rows(10, district=178, **partnered, **dict(consent, W00_07=5), interviewer_sex=2)
    )
    _with_psu(women).to_csv(folder / "women.csv", index=False)
    adult = {"district": 178, "residence": 2, "M05": 2, "M04": 30, "M06": 2}
    member = (
        # 40 women in the labour force, 4 unemployed; 30 of them wage workers at 4,000
        _rows(30, **adult, M03=2, LF_STATUS=1, D3_01=1, D3_02=4, D3_10=4000, M07=20)
        + _rows(6, **adult, M03=2, LF_STATUS=1, D3_01=1, D3_02=1, M07=16)
        + _rows(4, **adult, M03=2, LF_STATUS=2, D3_01=0, D3_06=5, M07=17)
        + _rows(10, **adult, M03=2, LF_STATUS=3, D3_01=0, D3_06=1, M07=22)
        # 40 men in the labour force, 2 unemployed; 30 wage workers at 5,000
        + _rows(30, **adult, M03=1, LF_STATUS=1, D3_01=1, D3_02=4, D3_10=5000, M07=25)
        + _rows(8, **adult, M03=1, LF_STATUS=1, D3_01=1, D3_02=1, M07=24)
        + _rows(2, **adult, M03=1, LF_STATUS=2, D3_01=0, D3_06=5, M07=17)
    )
    member_frame = _with_psu(member, 100)
    member_frame["line"] = 1
    member_frame.to_csv(folder / "member.csv", index=False)
    household = _rows(12, district=178, residence=2, D2_06=3) + _rows(
        18, district=178, residence=2, D2_06=1
    )
    _with_psu(household, 200).to_csv(folder / "household.csv", index=False)
    births = _rows(21, district=178, residence=2, B02=1, B06=4, B07=1, B05=3)
    births += _rows(6, district=178, residence=2, B02=2, B06=2, B07=1, B05=1)
    births += _rows(3, district=178, residence=2, B02=2, B06=98, B07=0, B05=1)
    _with_psu(births, 300).to_csv(folder / "hh_birth.csv", index=False)
    forms = load_bundled()
    plan = load_plan(bundled_plan_path(), forms)
    built, _ = build_tables(folder, plan, "en", forms)
    return {t.id: t for t in built}


def _row(table, block: str | None, label: str):  # noqa: ANN001, ANN202
    return next(r for r in table.rows if r.label == label and (block is None or r.block == block))


def test_partner_violence_last_12_months_with_suppression(tables) -> None:  # noqa: ANN001
    table = tables["W.1b"]
    total = _row(table, None, "Total")
    assert total.values["est"] == pytest.approx(100 * 13 / 50) and total.values["n"] == 50
    city = _row(table, "District", "Lạng Sơn city")
    assert city.values["est"] == pytest.approx(30.0) and city.values["n"] == 30
    small = _row(table, "District", "Tràng Định district")
    assert small.values["n"] == 20 and small.flags["est"] == SUPPRESSED
    ever = _row(tables["W.1a"], None, "Total")
    assert ever.values["est"] == pytest.approx(100 * 16 / 50)


def test_age_groups_of_women_start_at_18(tables) -> None:  # noqa: ANN001
    labels = [r.label for r in tables["W.1b"].rows if r.block == "Age group"]
    assert labels == ["25–34"]
    member_blocks = {r.label for r in tables["L.2"].rows if r.block == "Age group"}
    assert member_blocks == {"25–34"}


def test_interviews_by_a_man_or_not_in_private_are_flagged(tables) -> None:  # noqa: ANN001
    total = _row(tables["W.Q"], None, "Total")
    # 4 of the 60 module interviews (the never-partnered too) were done by a male interviewer
    assert total.values["est"] == pytest.approx(100 * 4 / 60)


def test_unemployment_and_pay_gap_by_sex(tables) -> None:  # noqa: ANN001
    unemployment = _row(tables["L.2"], None, "Total")
    assert unemployment.values["w_est"] == pytest.approx(10.0)
    assert unemployment.values["m_est"] == pytest.approx(5.0)
    earnings = _row(tables["L.3"], None, "Total")
    assert earnings.values["w_est"] == pytest.approx(4000.0)
    assert earnings.values["m_est"] == pytest.approx(5000.0)
    assert earnings.values["gap"] == pytest.approx(-1000.0)
    assert earnings.values["gpi"] == pytest.approx(0.8)  # a 20 % pay gap
    participation = _row(tables["L.1"], None, "Total")
    assert participation.values["w_est"] == pytest.approx(80.0)
    assert participation.values["m_est"] == pytest.approx(100.0)


def test_child_marriage_by_sex(tables) -> None:  # noqa: ANN001
    total = _row(tables["F.1"], None, "Total")
    assert total.values["w_est"] == pytest.approx(100 * 10 / 50)  # 6 at 16 and 4 at 17
    assert total.values["m_est"] == pytest.approx(100 * 2 / 40)


def test_land_certificates_in_the_wifes_or_joint_names(tables) -> None:  # noqa: ANN001
    total = _row(tables["LAND.1"], None, "Total")
    assert total.values["est"] == pytest.approx(40.0) and total.values["n"] == 30


def test_antenatal_care_and_pmtct_from_every_womans_births(tables) -> None:  # noqa: ANN001
    assert _row(tables["B.1"], None, "Total").values["est"] == pytest.approx(70.0)
    assert _row(tables["B.2"], None, "Total").values["est"] == pytest.approx(90.0)
    assert _row(tables["B.3"], None, "Total").values["est"] == pytest.approx(70.0)


def test_new_tables_have_both_languages() -> None:
    plan = load_plan(bundled_plan_path())
    for table in plan.tables:
        if table["id"].startswith(("W.", "L.", "F.", "LAND.", "B.", "DIS.")):
            assert table["title"]["vi"] and table["title"]["en"]
            assert table["title"]["vi"] != table["title"]["en"]


def test_a_report_on_mixed_versions_flags_tables_whose_definition_changed(tmp_path: Path) -> None:
    from analysis.comparability import version_notes

    rows = _rows(30, resp_sex=2, resp_age=30, D1_01=1, K13=1, questionnaire_version="1.0.0")
    rows += _rows(30, resp_sex=1, resp_age=40, D1_01=0, K13=2, questionnaire_version="1.1.0")
    _with_psu(rows).to_csv(tmp_path / "individual.csv", index=False)
    forms = load_bundled()
    plan = load_plan(bundled_plan_path(), forms)
    notes = version_notes(tmp_path, plan, forms, "en")
    assert "K13" in notes["K.3"] and "individual 1.0.0 → 1.1.0" in notes["K.3"]
    assert "D1.1" not in notes  # attending a village meeting kept its meaning
    built, _ = build_tables(tmp_path, plan, "vi", forms)
    knowledge = next(t for t in built if t.id == "K.3")
    assert any("Không so sánh được" in note and "K13" in note for note in knowledge.notes)
    # one version only: nothing to warn about
    _with_psu(rows[30:]).to_csv(tmp_path / "individual.csv", index=False)
    assert version_notes(tmp_path, plan, forms, "en") == {}


def test_womens_records_reach_their_household_through_the_link_code(tmp_path: Path) -> None:
    from analysis.indicators import read_data_dir

    codes = [f"k{i:015d}" for i in range(30)]
    household = _with_psu(_rows(30, district=178, residence=2))
    household["W_LINK"] = codes
    household["HH08"] = [1 if i < 10 else 3 for i in range(30)]
    household.to_csv(tmp_path / "household.csv", index=False)
    women = pd.DataFrame(_rows(30, district=178, resp_sex=2, resp_age=30))
    women["hh_link"] = list(reversed(codes))  # no household number, no line: only the code
    women.to_csv(tmp_path / "women.csv", index=False)
    forms = load_bundled()
    data = read_data_dir(tmp_path, load_plan(bundled_plan_path(), forms), forms)
    linked = data.frames["women"]
    expected = household.set_index("W_LINK").loc[linked["hh_link"]]
    assert (linked["hh_id"].to_numpy() == expected["hh_id"].to_numpy()).all()
    assert (linked["HH08"].to_numpy() == expected["HH08"].to_numpy()).all()
