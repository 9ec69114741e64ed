"""Publishing a report run fills the store with the report's own numbers, to the last digit.

The reference is the report's Excel workbook (numbers stored at full precision), read cell by
cell (openpyxl writes 16 significant digits, so the stored double is compared at that
precision: every digit the report holds): the province is the table's total row, each district
its row in the district block; a suppressed cell ("*") is stored without numbers, with the
report's mark.

District and commune figures follow the report's small-area table (``small_areas.csv``): a
district keeps the report's direct row where the publication rule says direct, and takes the
Fay-Herriot model figure (or nothing, suppressed, with the reason) where it does not; communes
take the table's published figure. Each is checked against that file's numbers.
"""

from __future__ import annotations

import math

import openpyxl
import pytest
from sqlalchemy import select

from survey_app.extensions import db

from .conftest import TEST_PASSWORD

BLOCKS = {"district": "Huyện/thành phố", "ethnicity": "Dân tộc", "residence": "Khu vực"}


def _workbook_cells(path):  # noqa: ANN001, ANN201
    """{(table id, block heading or None, row label, sex): (value, ci_low, ci_high, n)}."""
    book = openpyxl.load_workbook(path, read_only=True)
    cells = {}
    for sheet in book.worksheets[1:]:
        rows = list(sheet.iter_rows(values_only=True))
        if len(rows) < 5 or rows[3][1] not in ("%", "Trung bình", "Tỷ số"):
            continue
        by_sex = rows[2][1] is not None and rows[2][5] is not None and rows[2][1] != rows[2][5]
        sides = (("F", 1), ("M", 5)) if by_sex else (("T", 1),)
        block = None
        for row in rows[4:]:
            label = row[0]
            if label is None:
                break
            if all(v is None for v in row[1:]):
                block = label
                continue
            where = (None, "Tổng") if label == "Tổng" else (block, label.strip())
            for sex, start in sides:
                cells[(sheet.title, *where, sex)] = tuple(row[start : start + 4])
    return cells


def _cell_label(cell: str) -> tuple[str, str]:
    """The workbook's block heading and row label of a stored group cell ("ethnicity=1")."""
    import json

    from questionnaires import load_bundled
    from questionnaires.plans import bundled_plan_path

    variable, code = cell.split("=")
    plan = json.loads(bundled_plan_path().read_text(encoding="utf-8"))
    if variable == "ethnicity":
        return BLOCKS[variable], plan["row_variables"]["ethnicity"]["groups"][int(code)]["label"][
            "vi"
        ]
    question = load_bundled()["household"].question("residence")
    label = next(c.label.vi for c in question.choices if c.code == int(code))
    return BLOCKS[variable], label


@pytest.mark.slow
def test_published_run_fills_province_and_districts_with_the_report_numbers(
    app, tmp_path, report_folder
) -> None:
    from survey_app.admin.services import bundled_areas_file, create_user, load_areas
    from survey_app.indicators.models import IndicatorValue
    from survey_app.indicators.services import catalogue
    from survey_app.models import Area
    from survey_app.results.services import add_folder, publish

    app.config["RESULTS_DIR"] = str(tmp_path / "results")
    with app.app_context():
        load_areas(bundled_areas_file())
        analyst = create_user("analyst", "analyst", TEST_PASSWORD)
        db.session.flush()
        run = add_folder(report_folder, "Khảo sát 2019", analyst)
        publish(run, analyst)
        db.session.commit()
        figures = db.session.scalars(select(IndicatorValue)).all()
        names = {a.id: (a.name, a.level) for a in db.session.scalars(select(Area))}
        codes = {a.id: a.code for a in db.session.scalars(select(Area))}
        tables = {t["indicator"]: t["id"] for t in _plan_tables() if t.get("kind") == "indicator"}
        by_code = {i.code: i for i in catalogue().indicators.values()}
        # publishing again changes nothing
        from survey_app.indicators.services import load_report_run

        assert load_report_run(run, analyst) == 0
    cells = _workbook_cells(report_folder / "report_vi.xlsx")
    assert figures
    checked = shown = suppressed = 0
    small = _small_areas(report_folder)
    modelled = 0
    for figure in figures:
        name, level = names[figure.area_id]
        survey_id = by_code[figure.indicator_code].survey_indicator
        table = tables[survey_id]
        if level == "commune" or figure.comment:
            row = small[(survey_id, level, codes[figure.area_id].split("-")[-1], figure.sex)]
            _check_small_area(figure, row)
            modelled += row["estimator"] == "model"
            checked += 1
            continue
        if figure.cell:
            key = (table, *_cell_label(figure.cell), figure.sex)
        elif level == "province":
            key = (table, None, "Tổng", figure.sex)
        else:
            key = (table, BLOCKS["district"], name, figure.sex)
        value, low, high, n = cells[key]
        assert figure.n_unweighted == n, key
        assert figure.source_kind == "survey" and figure.estimator == "direct"
        assert figure.status == "approved" and figure.report_run_id == run.id
        if value == "*":
            assert figure.flag == "suppressed" and figure.value is None, key
            suppressed += 1
        else:
            assert _digits(figure.value) == value, key
            for stored, shown_value in ((figure.ci_low, low), (figure.ci_high, high)):
                if shown_value is None:
                    assert stored is None or math.isnan(stored), key
                else:
                    assert _digits(stored) == shown_value, key
            shown += 1
        checked += 1
    district_keys = {k for k in cells if k[1] == BLOCKS["district"]}
    stored_districts = {
        (
            tables[by_code[f.indicator_code].survey_indicator],
            BLOCKS["district"],
            names[f.area_id][0],
            f.sex,
        )
        for f in figures
        if names[f.area_id][1] == "district"
    }
    report_districts = {k for k in district_keys if k[0] in stored_tables(figures, by_code, tables)}
    # Every district row of the report is stored; beyond them only small-area figures (a
    # district without interviews gets the model's synthetic figure; an indicator whose table
    # has no district block gets the small-area table's figures).
    from_small_areas = {
        (
            tables[by_code[f.indicator_code].survey_indicator],
            BLOCKS["district"],
            names[f.area_id][0],
            f.sex,
        )
        for f in figures
        if names[f.area_id][1] == "district" and f.comment
    }
    assert stored_districts >= report_districts
    assert stored_districts - report_districts <= from_small_areas
    assert shown > 20 and suppressed > 0 and checked == len(figures) and modelled > 0
    assert {f.cell.split("=")[0] for f in figures if f.cell} == {"ethnicity", "residence"}
    assert any(names[f.area_id][1] == "district" and f.value is not None for f in figures)


def _small_areas(folder):  # noqa: ANN001, ANN201
    """{(indicator, level, area code, sex): row} of the report's small_areas.csv."""
    from analysis.sae import read_small_area_csv

    table = read_small_area_csv(folder / "small_areas.csv")
    return {
        (r["indicator"], r["level"], str(int(r["area"])), r["sex"]): r
        for r in table.to_dict("records")
    }


def _check_small_area(figure, row) -> None:  # noqa: ANN001
    assert figure.n_unweighted == row["n"]
    assert row["reason_en"] in figure.comment and row["reason_vi"] in figure.comment
    if row["estimator"] == "suppressed":
        assert figure.flag == "suppressed" and figure.value is None and figure.estimator is None
        return
    assert figure.estimator == row["estimator"] and figure.flag == ""
    assert figure.value == row["published"] and figure.std_error == row["published_se"]
    assert (figure.ci_low, figure.ci_high) == (row["ci_low"], row["ci_high"])
    if row["estimator"] == "model":
        assert f"MSE={row['model_mse']:.6g}" in figure.comment


def _digits(number: float) -> float:
    """The double as the workbook holds it: 16 significant digits."""
    return float(f"{number:.16g}")


def stored_tables(figures, by_code, tables) -> set[str]:  # noqa: ANN001
    return {tables[by_code[f.indicator_code].survey_indicator] for f in figures}


def _plan_tables() -> list[dict]:
    import json

    from questionnaires.plans import bundled_plan_path

    return json.loads(bundled_plan_path().read_text(encoding="utf-8"))["tables"]
